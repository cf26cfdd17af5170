/**
 * `/healthz` (process up and its NATS connection not closed), `/readyz` (NATS connected, JetStream
 * answering, projections caught up; each projection's `complete` is false with the code
 * `MOE_ERR_JOURNAL_PURGED` when turns it needs were purged from the journal — the gateway stays
 * ready, since everything else it serves is right), `/metrics` (Prometheus). `/metrics` is public for process and
 * HTTP metrics; the platform-wide usage and money counters are added only for the operator's
 * metrics token (`Authorization: Bearer <MOE_METRICS_TOKEN>`), never for a tenant's credentials.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Registry } from 'prom-client';
import { STREAMS } from '../../schemas/index.js';
import type { GatewayContext } from '../context.js';
import { constantTimeEqualHex, sha256Hex } from '../crypto.js';
import { errors } from '../errors.js';
import { errorResponses } from '../httpSchemas.js';
import type { JournalGap } from '../journalGap.js';

/** True when the request carries the configured operator metrics token. */
function isOperator(req: FastifyRequest, token: string | null): boolean {
  const h = req.headers.authorization;
  if (!token || typeof h !== 'string' || !/^bearer /i.test(h)) return false;
  return constantTimeEqualHex(sha256Hex(h.slice(7).trim()), sha256Hex(token));
}

export function healthRoutes(ctx: GatewayContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    const pub = { config: { public: true } };
    app.get(
      '/healthz',
      { ...pub, schema: { tags: ['health'], security: [], response: errorResponses(503) } },
      async () => {
        // reconnecting is not unhealthy (it heals itself); a closed connection never comes back
        if (ctx.bus.link.closed) throw errors.NATS_UNAVAILABLE('the NATS connection is closed');
        return { status: 'ok' };
      },
    );

    app.get(
      '/readyz',
      { ...pub, schema: { tags: ['health'], security: [], response: errorResponses(503) } },
      async () => {
        if (!ctx.bus.link.up) throw errors.NATS_UNAVAILABLE('NATS is not connected');
        try {
          await ctx.bus.jsm.getAccountInfo();
          await ctx.bus.jsm.streams.info(STREAMS.events);
        } catch (cause) {
          throw errors.NATS_UNAVAILABLE('JetStream did not answer', { cause });
        }
        if (!ctx.tenancy.ready) throw errors.NOT_READY('tenancy projection is catching up');
        if (!ctx.usage.ready) throw errors.NOT_READY('usage projection is catching up');
        if (!ctx.boards.ready) throw errors.NOT_READY('board projection is catching up');
        const state = (gap: JournalGap | null) =>
          gap ? { complete: false, code: gap.code, message: gap.message } : { complete: true };
        return {
          status: 'ready',
          nats: 'ok',
          jetstream: 'ok',
          projectionSeq: ctx.tenancy.lastSeq,
          projections: {
            tenancy: state(ctx.tenancy.incomplete),
            usage: { ...state(ctx.usage.incomplete), snapshot: ctx.usage.snapshotCoverage },
          },
        };
      },
    );

    app.get('/metrics', { ...pub, schema: { tags: ['health'], security: [] } }, async (req, reply) => {
      const { registry, platformRegistry } = ctx.metrics;
      reply.header('content-type', registry.contentType);
      return isOperator(req, ctx.metricsToken)
        ? Registry.merge([registry, platformRegistry]).metrics()
        : registry.metrics();
    });
  };
}
