/**
 * Tracing for a `moe` process entry (`moe gateway`, `moe node`, `moe supervisor`, `moe up`): starts
 * the OpenTelemetry SDK when the environment asks for it (MOE_TRACING=otlp or an
 * OTEL_EXPORTER_OTLP_ENDPOINT; docs/operations.md, "Tracing"), says so, and gives back what flushes
 * it on stop. Off (the default) it loads nothing and prints nothing.
 */
import { startTracing, type Tracing } from '../actors/kernel/index.js';

export async function processTracing(service: string, print: (s: string) => void): Promise<Tracing | null> {
  const tracing = await startTracing({ service });
  if (tracing) {
    const endpoint =
      process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT ??
      'http://localhost:4318';
    print(
      `  tracing   OpenTelemetry, OTLP/HTTP to ${endpoint} (service ${process.env.OTEL_SERVICE_NAME || service})`,
    );
  }
  return tracing;
}
