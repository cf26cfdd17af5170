/**
 * The pieces of tracing that need no NATS: when the environment turns tracing on, that trace
 * context survives being stored (with an effect) and read back, that nothing is written while no SDK
 * is registered, and that sessions.db keeps an effect's trace context — also in a file made before
 * the column existed.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  deserializeTrace,
  otelTrace,
  serializeTrace,
  SessionStore,
  startTracing,
  traceHeaders,
  tracer,
  tracingMode,
  tracingOn,
  ROOT_CONTEXT,
} from '../../actors/kernel/index.js';
import { tempDir } from '../harness/index.js';

const dir = tempDir('moe-trace-unit-');
afterAll(() => dir.remove());

describe('tracing configuration', () => {
  it('is off by default and turned on by MOE_TRACING=otlp or an OTLP endpoint', () => {
    expect(tracingMode({})).toBe('off');
    expect(tracingMode({ MOE_TRACING: 'otlp' })).toBe('otlp');
    expect(tracingMode({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toBe('otlp');
    expect(tracingMode({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).toBe('otlp');
    expect(tracingMode({ MOE_TRACING: 'off', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toBe('off');
    expect(tracingMode({ OTEL_SDK_DISABLED: 'true', MOE_TRACING: 'otlp' })).toBe('off');
  });

  it('starts no SDK when the environment leaves it off', async () => {
    expect(await startTracing({ service: 't', env: {} })).toBeNull();
    expect(tracingOn()).toBe(false);
  });
});

describe('trace context', () => {
  it('writes no header while no SDK is registered, even inside a span', () => {
    const span = tracer.startSpan('no sdk');
    expect(traceHeaders(otelTrace.setSpan(ROOT_CONTEXT, span))).toBeUndefined();
    expect(serializeTrace(otelTrace.setSpan(ROOT_CONTEXT, span))).toBeNull();
  });

  it('stored and read back, it parents a span in the same trace', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = await startTracing({ service: 't', spanProcessors: [new SimpleSpanProcessor(exporter)] });
    try {
      expect(tracingOn()).toBe(true);
      const turn = tracer.startSpan('turn');
      const stored = serializeTrace(otelTrace.setSpan(ROOT_CONTEXT, turn));
      expect(JSON.parse(stored!)).toEqual({
        traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/),
      });
      const effect = tracer.startSpan('effect', {}, deserializeTrace(stored));
      effect.end();
      turn.end();
      const [e] = exporter.getFinishedSpans().filter((s) => s.name === 'effect');
      expect(e!.spanContext().traceId).toBe(turn.spanContext().traceId);
      expect(e!.parentSpanContext?.spanId).toBe(turn.spanContext().spanId);
      // unreadable or missing: a new trace, never a throw
      expect(otelTrace.getSpan(deserializeTrace('not json'))).toBeUndefined();
      expect(otelTrace.getSpan(deserializeTrace(null))).toBeUndefined();
    } finally {
      await tracing?.shutdown();
    }
    expect(tracingOn()).toBe(false);
  });
});

describe('sessions.db', () => {
  const commit = (store: SessionStore, trace: string | null) =>
    store.commitMany([
      {
        row: {
          key: 'o.w.agent.a',
          kind: 'agent',
          session: 's',
          turn: 1,
          last_seq: 1,
          state: 's',
          status: 'active',
          snapshot: '{}',
        },
        commandIds: ['c1'],
        seq: 1,
        startedEffects: [{ id: 'e1', kind: 'llm.call' }],
        settledEffects: [],
        effectTraces: [trace],
      },
    ]);

  it('keeps the trace context of a pending effect', () => {
    const store = new SessionStore(new Database(join(dir.path, 'new.db')));
    commit(store, '{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}');
    expect(store.pendingEffects('o.w.agent.a')[0]!.trace).toContain('0af7651916cd43dd8448eb211c80319c');
  });

  it('adds the column to a sessions.db made before it existed', () => {
    const path = join(dir.path, 'old.db');
    const old = new Database(path);
    old.exec(`CREATE TABLE effects (key TEXT NOT NULL, effect_id TEXT NOT NULL, kind TEXT NOT NULL,
      spec TEXT NOT NULL, fire_at INTEGER, PRIMARY KEY (key, effect_id)) WITHOUT ROWID;
      INSERT INTO effects VALUES ('o.w.agent.b', 'e0', 'llm.call', '{"id":"e0","kind":"llm.call"}', NULL);`);
    old.close();
    const store = new SessionStore(new Database(path));
    expect(store.pendingEffects('o.w.agent.b')[0]!.trace).toBeNull();
    commit(store, '{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}');
    expect(store.pendingEffects('o.w.agent.a')[0]!.trace).not.toBeNull();
  });
});
