/** `/healthz` (process up), `/readyz` (NATS connected, JetStream answering, projections caught up), `/metrics` (Prometheus). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { STREAMS } from '../../schemas/index.js';
import type { GatewayContext } from '../context.js';
import { errors } from '../errors.js';
import { errorResponses } from '../httpSchemas.js';

export function healthRoutes(ctx: GatewayContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    const pub = { config: { public: true } };
    app.get('/healthz', { ...pub, schema: { tags: ['health'], security: [] } }, async () => ({
      status: 'ok',
    }));

    app.get(
      '/readyz',
      { ...pub, schema: { tags: ['health'], security: [], response: errorResponses(503) } },
      async () => {
        if (ctx.bus.nc.isClosed()) throw errors.NATS_UNAVAILABLE('connection closed');
        try {
          await ctx.bus.jsm.getAccountInfo();
          await ctx.bus.jsm.streams.info(STREAMS.events);
        } catch (cause) {
          throw errors.NATS_UNAVAILABLE('JetStream did not answer', { cause });
        }
        if (!ctx.tenancy.ready) throw errors.NOT_READY('tenancy projection is catching up');
        if (!ctx.usage.ready) throw errors.NOT_READY('usage projection is catching up');
        return { status: 'ready', nats: 'ok', jetstream: 'ok', projectionSeq: ctx.tenancy.lastSeq };
      },
    );

    app.get('/metrics', { ...pub, schema: { tags: ['health'], security: [] } }, async (_req, reply) => {
      reply.header('content-type', ctx.metrics.registry.contentType);
      return ctx.metrics.registry.metrics();
    });
  };
}
