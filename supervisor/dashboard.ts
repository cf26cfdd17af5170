/**
 * The supervisor's HTTP side (Fastify): `GET /` a self-contained HTML dashboard (inline CSS and
 * script, no external assets) that polls `GET /api/status` every 2 s; `GET /metrics` the backup
 * figures in Prometheus text format (metrics.ts); `GET /healthz` for probes.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { isMoeError } from '../schemas/index.js';
import { errors } from './errors.js';
import { renderMetrics } from './metrics.js';
import { PAGE } from './page.js';
import type { SupervisorStatus } from './status.js';

export function buildDashboard(o: {
  status: () => Promise<SupervisorStatus>;
  health: () => { ok: boolean; leader: boolean; id: string };
}): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
  app.get('/healthz', async () => o.health());
  const unavailable = (err: unknown) =>
    isMoeError(err) ? err : errors.STATUS_UNAVAILABLE(String(err), { cause: err });
  app.get('/api/status', async (_req, reply) => {
    try {
      return await o.status();
    } catch (err) {
      const e = unavailable(err);
      return reply.code(e.status).send({ error: { code: e.code, message: e.message } });
    }
  });
  app.get('/metrics', async (_req, reply) => {
    try {
      const { contentType, body } = await renderMetrics(await o.status());
      return reply.type(contentType).send(body);
    } catch (err) {
      const e = unavailable(err);
      return reply.code(e.status).send({ error: { code: e.code, message: e.message } });
    }
  });
  return app;
}
