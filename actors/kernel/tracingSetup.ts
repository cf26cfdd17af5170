/**
 * Turning tracing on in a process: registers an OpenTelemetry SDK (a tracer provider, the
 * AsyncLocalStorage context manager and the W3C trace-context propagator) so the spans product
 * code starts through the API (tracing.ts) are recorded and exported. Each process entry calls
 * {@link startTracing} once (`moe gateway`, `moe node`, `moe supervisor`, `moe up`); tests pass
 * their own span processors (an in-memory exporter).
 *
 * Configuration (off by default; docs/operations.md, "Tracing"):
 * - `MOE_TRACING=otlp` exports over OTLP/HTTP (protobuf-free JSON) to `OTEL_EXPORTER_OTLP_ENDPOINT`
 *   (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`; default http://localhost:4318); setting either
 *   endpoint alone also turns it on. `MOE_TRACING=off` (or `OTEL_SDK_DISABLED=true`) keeps it off.
 * - `OTEL_SERVICE_NAME` overrides the process's service name; `OTEL_TRACES_SAMPLER` /
 *   `OTEL_TRACES_SAMPLER_ARG` choose the sampler (default: parent-based, always on).
 * The SDK modules are imported only when tracing is on, so a process without it loads none of them.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { markTracingRegistered } from './tracing.js';

/** A running SDK: `shutdown` flushes what is buffered and unregisters it. */
export interface Tracing {
  readonly exporter: 'otlp' | 'custom';
  shutdown(): Promise<void>;
}

/** Whether the environment asks for tracing, and how. */
export function tracingMode(env: NodeJS.ProcessEnv = process.env): 'otlp' | 'off' {
  const mode = env.MOE_TRACING?.trim().toLowerCase();
  if (mode === 'off' || mode === 'none' || env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true')
    return 'off';
  if (mode === 'otlp') return 'otlp';
  return env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? 'otlp' : 'off';
}

/**
 * Registers the SDK for this process when the environment asks for it (or when `spanProcessors`
 * are given); null when tracing stays off. Call once, before the process starts its parts.
 *
 * @example
 *   const tracing = await startTracing({ service: 'moe-node' });
 *   // … on stop:
 *   await tracing?.shutdown();
 */
export async function startTracing(o: {
  service: string;
  env?: NodeJS.ProcessEnv;
  spanProcessors?: SpanProcessor[];
}): Promise<Tracing | null> {
  const env = o.env ?? process.env;
  if (!o.spanProcessors && tracingMode(env) === 'off') return null;
  const [{ BasicTracerProvider, BatchSpanProcessor }, { W3CTraceContextPropagator }, res, hooks] =
    await Promise.all([
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/core'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/context-async-hooks'),
    ]);
  let processors = o.spanProcessors;
  if (!processors) {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    processors = [new BatchSpanProcessor(new OTLPTraceExporter())];
  }
  const provider = new BasicTracerProvider({
    resource: res.resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME || o.service }),
    spanProcessors: processors,
  });
  context.setGlobalContextManager(new hooks.AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  markTracingRegistered(true);
  return {
    exporter: o.spanProcessors ? 'custom' : 'otlp',
    async shutdown() {
      markTracingRegistered(false);
      await provider.shutdown().catch(() => undefined);
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
