/**
 * The supervisor's HTTP side (Fastify): `GET /` a self-contained HTML dashboard (inline CSS and
 * script, no external assets) that polls `GET /api/status` every 2 s; `GET /metrics` the backup
 * figures in Prometheus text format (metrics.ts), after the process's own (processMetrics.ts);
 * `GET /healthz` (liveness) and `GET /readyz` (200 while NATS is up, else 503) for probes. The
 * dashboard and `/api/status` are the operator's only (operatorAccess.ts): without the operator
 * token `/` answers 401 with a form that takes it (`POST /login` sets it as an HttpOnly cookie).
 * Every error answer is `{error: {code, message}}` with a code from errors.ts: an unknown route is
 * 404 MOE_ERR_ROUTE_NOT_FOUND, a body Fastify cannot take (malformed JSON, …) 400
 * MOE_ERR_BAD_REQUEST.
 */
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Registry } from 'prom-client';
import { isMoeError, type MoeError } from '../schemas/index.js';
import { errors } from './errors.js';
import { renderMetrics } from './metrics.js';
import { isOperator, OPERATOR_COOKIE, sameSecret } from './operatorAccess.js';
import { LOGIN_PAGE, PAGE } from './page.js';
import type { SupervisorStatus } from './status.js';

export function buildDashboard(o: {
  status: () => Promise<SupervisorStatus>;
  health: () => { ok: boolean; leader: boolean; id: string };
  /** what /readyz answers: ready, and each check by name */
  ready?: () => { ready: boolean; checks: Record<string, boolean> };
  /** the process's own metrics, served first on /metrics */
  metrics?: Registry;
  /** the operator token (null: loopback clients only) */
  operatorToken?: string | null;
}): FastifyInstance {
  const token = o.operatorToken ?? null;
  const app = Fastify({ logger: false });
  const answer = (reply: FastifyReply, e: MoeError) =>
    reply.code(e.status).send({ error: { code: e.code, message: e.message } });
  const refuse = (reply: FastifyReply) => answer(reply, errors.OPERATOR_REQUIRED());
  app.setNotFoundHandler((req, reply) =>
    answer(reply, errors.ROUTE_NOT_FOUND(`${req.method} ${req.url.split('?')[0]}`)),
  );
  app.setErrorHandler((err: Partial<FastifyError>, _req, reply) => {
    if (isMoeError(err)) return answer(reply, err);
    const status = err.statusCode ?? 500;
    return answer(
      reply,
      status >= 400 && status < 500 ? errors.BAD_REQUEST(err.message) : errors.INTERNAL(err.message),
    );
  });
  const operatorOnly = (req: FastifyRequest) => isOperator(req, token);
  app.get('/', async (req, reply) => {
    if (!operatorOnly(req)) return reply.code(401).type('text/html; charset=utf-8').send(LOGIN_PAGE);
    return reply.type('text/html; charset=utf-8').send(PAGE);
  });
  app.post<{ Body: { token?: unknown } }>('/login', async (req, reply) => {
    const given = typeof req.body?.token === 'string' ? req.body.token : '';
    if (token === null || !sameSecret(given, token)) return refuse(reply);
    reply.header(
      'set-cookie',
      `${OPERATOR_COOKIE}=${encodeURIComponent(given)}; HttpOnly; SameSite=Strict; Path=/`,
    );
    return { ok: true };
  });
  app.get('/healthz', async () => o.health());
  app.get('/readyz', async (_req, reply) => {
    const r = o.ready?.() ?? { ready: true, checks: {} };
    return reply.code(r.ready ? 200 : 503).send(r);
  });
  const unavailable = (err: unknown) =>
    isMoeError(err) ? err : errors.STATUS_UNAVAILABLE(String(err), { cause: err });
  app.get('/api/status', async (req, reply) => {
    if (!operatorOnly(req)) return refuse(reply);
    try {
      return await o.status();
    } catch (err) {
      return answer(reply, unavailable(err));
    }
  });
  app.get('/metrics', async (_req, reply) => {
    try {
      const { contentType, body } = await renderMetrics(await o.status(), o.metrics);
      return reply.type(contentType).send(body);
    } catch (err) {
      return answer(reply, unavailable(err));
    }
  });
  return app;
}
