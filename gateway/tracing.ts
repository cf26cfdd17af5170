/**
 * The gateway's request spans (tracing on; see actors/kernel/tracing.ts): each HTTP request gets a
 * server span `<METHOD> <route>`, the root of the trace its commands carry to the nodes (or a child
 * of the caller's `traceparent`, when the request has one). The span is started first thing
 * (onRequest, before authentication, so a refused request is traced too), made the active context
 * for the handler (the last preHandler enters it, and Fastify calls the handler from that hook's
 * `done`), and ended with the response status. The trace id is answered in `x-trace-id`.
 * WebSocket upgrades are not traced (their response never ends the span). With tracing off the
 * hooks only ask `tracingOn()`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  contextFromHttpHeaders,
  otelContext,
  otelTrace,
  SpanKind,
  SpanStatusCode,
  tracer,
  tracingOn,
  type Context,
  type Span,
} from '../actors/kernel/index.js';

/** Registers the hooks; call before the gateway's own hooks, so its onRequest runs first. */
export function traceRequests(app: FastifyInstance): void {
  const traced = new WeakMap<FastifyRequest, { span: Span; ctx: Context }>();

  app.addHook('onRequest', (req, reply, done) => {
    if (!tracingOn() || req.headers.upgrade !== undefined) return done();
    const route = req.routeOptions.url;
    const parent = contextFromHttpHeaders(req.headers);
    const span = tracer.startSpan(
      `${req.method} ${route ?? 'unknown route'}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': req.method,
          'url.path': req.url.split('?')[0] ?? req.url,
          ...(route !== undefined ? { 'http.route': route } : {}),
        },
      },
      parent,
    );
    traced.set(req, { span, ctx: otelTrace.setSpan(parent, span) });
    if (span.isRecording()) reply.header('x-trace-id', span.spanContext().traceId);
    done();
  });

  app.addHook('preHandler', (req, _reply, done) => {
    const t = traced.get(req);
    if (!t) return done();
    otelContext.with(t.ctx, done);
  });

  app.addHook('onResponse', (req, reply, done) => {
    const t = traced.get(req);
    if (t) {
      traced.delete(req);
      t.span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) t.span.setStatus({ code: SpanStatusCode.ERROR });
      t.span.end();
    }
    done();
  });
}
