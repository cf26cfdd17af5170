/**
 * Tracing through the OpenTelemetry API only: product code starts spans and carries W3C trace
 * context (`traceparent` / `tracestate`) in NATS headers; which SDK records them, and where they go,
 * is the process entry's business (tracingSetup.ts, off by default). With no SDK registered every
 * call here is the API's no-op, and the hot paths ask {@link tracingOn} (a flag) first so they skip
 * even that: no header is read or written, no span object is made.
 *
 * One task is one trace: the gateway's request span is the root; the command it publishes carries
 * its context to the node; the turn that applies the command, the effects that turn starts (their
 * context is stored with the effect in sessions.db, so a re-driven effect joins the same trace), the
 * LLM call, and the result command the effect publishes all hang below it. Span names and
 * attributes are listed in docs/operations.md, "Tracing".
 */
import {
  context,
  propagation,
  trace,
  SpanKind,
  SpanStatusCode,
  ROOT_CONTEXT,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type TextMapGetter,
} from '@opentelemetry/api';
import type { MsgHdrs } from '@nats-io/transport-node';

export { ROOT_CONTEXT, SpanKind, SpanStatusCode, context as otelContext, trace as otelTrace };
export type { Attributes, Context, Link, Span };

/** The instrumentation scope of every span the platform makes. */
export const TRACER_NAME = 'moe-agents';

/** The platform's tracer (a proxy: it follows whatever provider is registered later). */
export const tracer = trace.getTracer(TRACER_NAME);

/** Span attribute names the platform sets (docs/operations.md, "Tracing"). */
export const ATTR = {
  actor: 'moe.actor',
  actorKind: 'moe.actor.kind',
  org: 'moe.org',
  ws: 'moe.ws',
  commandId: 'moe.command.id',
  commandType: 'moe.command.type',
  turn: 'moe.turn',
  state: 'moe.state',
  entrySeq: 'moe.journal.seq',
  entryTurns: 'moe.journal.turns',
  outcome: 'moe.outcome',
  effectId: 'moe.effect.id',
  effectKind: 'moe.effect.kind',
  redriven: 'moe.effect.redriven',
  reused: 'moe.effect.reused',
} as const;

let sdkRegistered = false;

/**
 * Whether an SDK is on: {@link startTracing} (tracingSetup.ts) registered one in this process. The
 * hot paths check this before touching headers or spans. A plain flag, not a question to the API
 * (`propagation.fields()` costs ~200 ns a call through the API's global registry, this ~1 ns); an
 * application that embeds the platform registers its SDK through `startTracing({ spanProcessors })`.
 */
export function tracingOn(): boolean {
  return sdkRegistered;
}

/** Set by tracingSetup.ts when it registers or unregisters the SDK. */
export function markTracingRegistered(on: boolean): void {
  sdkRegistered = on;
}

/** The W3C headers of `ctx` (default: the active context); undefined when it holds no span. */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> | undefined {
  if (trace.getSpan(ctx) === undefined) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent !== undefined ? carrier : undefined;
}

const natsGetter: TextMapGetter<MsgHdrs> = {
  keys: (h) => [...h.keys()],
  get: (h, key) => (h.has(key) ? h.get(key) : undefined),
};

/** The trace context a NATS message carries in its headers (the root context when none). */
export function contextFromHeaders(h: MsgHdrs | undefined): Context {
  return h ? propagation.extract(ROOT_CONTEXT, h, natsGetter) : ROOT_CONTEXT;
}

/** The trace context of HTTP request headers (`traceparent`, `tracestate`; the root context when none). */
export function contextFromHttpHeaders(h: Readonly<Record<string, string | string[] | undefined>>): Context {
  return propagation.extract(ROOT_CONTEXT, h);
}

/** `ctx`'s trace context as a short JSON string to store (with an effect), or null when it has none. */
export function serializeTrace(ctx: Context): string | null {
  const h = traceHeaders(ctx);
  return h ? JSON.stringify(h) : null;
}

/** The context stored by {@link serializeTrace} (the root context for null or anything unreadable). */
export function deserializeTrace(stored: string | null | undefined): Context {
  if (!stored) return ROOT_CONTEXT;
  try {
    const carrier = JSON.parse(stored) as unknown;
    if (typeof carrier !== 'object' || carrier === null) return ROOT_CONTEXT;
    return propagation.extract(ROOT_CONTEXT, carrier as Record<string, string>);
  } catch {
    return ROOT_CONTEXT;
  }
}

/** Ends `span` as failed with `err`'s message (recorded as an exception event). */
export function failSpan(span: Span, err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  span.recordException(err instanceof Error ? err : message);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

/**
 * Runs `fn` inside a new span (child of `parent`, default: the active context), ending it when `fn`
 * settles; a throw marks the span failed and is rethrown. Skips the span when tracing is off.
 *
 * @example
 *   await inSpan('llm.call', { attributes: { 'gen_ai.request.model': model } }, async (span) => call());
 */
export async function inSpan<T>(
  name: string,
  opts: { kind?: SpanKind; attributes?: Attributes; links?: Link[]; parent?: Context },
  fn: (span: Span | undefined) => Promise<T>,
): Promise<T> {
  if (!tracingOn()) return fn(undefined);
  const parent = opts.parent ?? context.active();
  const span = tracer.startSpan(
    name,
    {
      ...(opts.kind !== undefined ? { kind: opts.kind } : {}),
      ...(opts.attributes ? { attributes: opts.attributes } : {}),
      ...(opts.links ? { links: opts.links } : {}),
    },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (err) {
    failSpan(span, err);
    throw err;
  } finally {
    span.end();
  }
}
