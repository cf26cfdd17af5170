/**
 * Tracing end to end, in one process against a real nats-server: the OpenTelemetry SDK is
 * registered with an in-memory span exporter, a task is submitted over real HTTP, and the spans
 * its trace holds are checked as a tree — one root (the gateway request), every other span's parent
 * in the same trace, and the expected chain gateway request → command publish → turn → effect →
 * LLM call → result command → turn. A second case stops the node while an LLM call runs and starts
 * another on the same data dir: the re-driven effect joins the same trace, under the turn that
 * started it (its trace context is stored with the effect in sessions.db).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  otelContext,
  otelTrace,
  startTracing,
  tracer,
  type EffectHandler,
  type Tracing,
} from '../../actors/kernel/index.js';
import { MoeClient } from '../../client/index.js';
import { startGateway, type StartedGateway } from '../../gateway/index.js';
import { ensureStreams, startWorkspaceNode, type WorkspaceNode } from '../../workspace-node/index.js';
import { eventually, startNatsServer, tempDir, type NatsServerHandle } from '../harness/index.js';
import { silent } from '../harness/platform.js';
import { call, JWT_SECRET, registerAndLogin } from './gateway.fixture.js';

const exporter = new InMemorySpanExporter();
let tracing: Tracing | null;
let ns: NatsServerHandle;
let nc: NatsConnection;
let node: WorkspaceNode;
let gw: StartedGateway;
let dir: { path: string; remove(): void };
let auth: { authorization: string };
let project: string;

const startNode = () =>
  startWorkspaceNode({ natsUrl: ns.url, dataDir: dir.path, nodeId: 'trace-node', logger: silent });

beforeAll(async () => {
  tracing = await startTracing({
    service: 'tracing-test',
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  ns = await startNatsServer();
  nc = await connect({ servers: ns.url });
  await ensureStreams(nc, await jetstreamManager(nc));
  dir = tempDir('moe-trace-');
  node = await startNode();
  gw = await startGateway({ nc, jwtSecret: JWT_SECRET, logger: false, port: 0, host: '127.0.0.1' });
  auth = (await registerAndLogin(gw, 'tracer')).auth;
  const org = (await call<{ id: string }>(gw, auth, 'POST', '/api/orgs', { name: 'Trace' })).body.id;
  const ws = (await call<{ id: string }>(gw, auth, 'POST', '/api/workspaces', { org, name: 'w' })).body.id;
  project = (await call<{ id: string }>(gw, auth, 'POST', `/api/workspaces/${ws}/projects`, { name: 'p' }))
    .body.id;
}, 30_000);

afterAll(async () => {
  await gw?.close();
  await node?.stop();
  await nc?.close();
  await ns?.stop();
  dir?.remove();
  await tracing?.shutdown();
});

/** Submits a task over real HTTP; its id and the trace id the gateway answered. */
async function submit(script: unknown[]): Promise<{ id: string; traceId: string }> {
  const res = await fetch(`${gw.url}/api/projects/${project}/tasks`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'trace me', script }),
  });
  expect(res.status).toBe(202);
  const traceId = res.headers.get('x-trace-id');
  expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  return { id: ((await res.json()) as { id: string }).id, traceId: traceId! };
}

async function completed(id: string): Promise<void> {
  await eventually(
    async () => {
      const r = await call<{ state: string }>(gw, auth, 'GET', `/api/tasks/${id}`);
      expect(r.body.state).toBe('done');
      return true;
    },
    { timeoutMs: 20_000, what: `task ${id} done` },
  );
}

/** the LLM reply of the controlled `llm.call` in the re-drive case */
const REPLY = {
  text: 'ok',
  toolCalls: [],
  stopReason: 'end_turn',
  provider: 'test',
  model: 't',
  usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 },
};

const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
const idOf = (s: ReadableSpan) => s.spanContext().spanId;

/** The spans of one trace, checked to form one tree; its root and a child lookup. */
function tree(traceId: string) {
  const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
  const ids = new Set(spans.map(idOf));
  const roots = spans.filter((s) => !parentOf(s) || !ids.has(parentOf(s)!));
  const childrenOf = (p: ReadableSpan, name: string) =>
    spans.filter((s) => parentOf(s) === idOf(p) && s.name === name);
  return { spans, roots, childrenOf };
}

describe('tracing', () => {
  it('a task submitted over REST is one trace tree from the request to the LLM call and its result', async () => {
    const script = [
      { text: 'looking', toolCalls: [{ name: 'list_files', input: { path: '.' } }] },
      { text: 'done' },
    ];
    const { id, traceId } = await submit(script);
    await completed(id);
    const actor = (s: ReadableSpan) => String(s.attributes['moe.actor'] ?? '');
    // every turn of the task's actor is in this trace (and its final turn has been exported)
    await eventually(
      () => {
        const turns = exporter
          .getFinishedSpans()
          .filter((s) => s.name.startsWith('turn agent') && actor(s).endsWith(id));
        expect(turns.length).toBeGreaterThanOrEqual(4); // submit, LLM reply, tool result, LLM reply
        expect(new Set(turns.map((s) => s.spanContext().traceId))).toEqual(new Set([traceId]));
        expect(turns.some((s) => s.attributes['moe.state'] === 'done')).toBe(true);
        return true;
      },
      { timeoutMs: 10_000 },
    );

    const { spans, roots, childrenOf } = tree(traceId);
    expect(roots.map((r) => r.name)).toEqual(['POST /api/projects/:id/tasks']);
    const root = roots[0]!;
    expect(root.attributes['http.response.status_code']).toBe(202);

    const [send] = childrenOf(root, 'send task.submit');
    expect(send, 'the command publish under the request').toBeDefined();
    const [turn] = childrenOf(send!, 'turn agent task.submit');
    expect(turn, 'the turn under the publish').toBeDefined();
    expect(turn!.attributes['moe.turn']).toBe(1);
    expect(childrenOf(turn!, 'journal.append')).toHaveLength(1);
    const [effect] = childrenOf(turn!, 'effect llm.call');
    expect(effect, 'the effect under the turn that started it').toBeDefined();
    const [llm] = childrenOf(effect!, 'llm.call');
    expect(llm?.attributes['gen_ai.provider.name']).toBe('scripted');
    expect(llm?.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    const [result] = childrenOf(effect!, 'send effect.result');
    expect(result, 'the result command under the effect').toBeDefined();
    const [resultTurn] = childrenOf(result!, 'turn agent effect.result');
    expect(resultTurn, 'the result turn under the result command').toBeDefined();
    // the tool call the first reply asked for runs under the turn that applied that reply
    expect(childrenOf(resultTurn!, 'effect tool.run')).toHaveLength(1);
    // two LLM calls, each with its own effect span, all in this one trace
    expect(spans.filter((s) => s.name === 'llm.call')).toHaveLength(2);
  }, 40_000);

  it('an effect re-driven after a node restart joins the trace of the turn that started it', async () => {
    await node.stop(); // this case hosts its own workspace on nodes whose LLM call it controls
    const hang: EffectHandler = ({ signal }) =>
      new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('stopped'))));
    const answer: EffectHandler = () => Promise.resolve(REPLY);
    const hosting = (llm: EffectHandler) =>
      startWorkspaceNode({
        natsUrl: ns.url,
        dataDir: dir.path,
        nodeId: 'redrive-node',
        only: ['rd.a'],
        logger: silent,
        extraEffects: new Map([['llm.call', llm]]),
      });
    let first: WorkspaceNode | undefined = await hosting(hang);
    let second: WorkspaceNode | undefined;
    try {
      // the task is sent inside a span of the test: that span is the trace's root
      const root = tracer.startSpan('test client');
      const traceId = root.spanContext().traceId;
      const run = otelContext.with(otelTrace.setSpan(otelContext.active(), root), () =>
        new MoeClient(nc).runTask('rd', 'a', 't-redrive', { prompt: 'go' }, { timeoutMs: 30_000 }),
      );
      // the turn that started the LLM call is acked (its span ended); the call hangs
      const submitTurn = await eventually(
        () =>
          exporter
            .getFinishedSpans()
            .find((s) => s.name === 'turn agent task.submit' && s.spanContext().traceId === traceId),
        { timeoutMs: 10_000, what: 'the task.submit turn span' },
      );
      await first.stop(); // aborts the call: no outcome, the effect stays pending in sessions.db
      first = undefined;
      second = await hosting(answer);
      const { outcome } = await run;
      root.end();
      expect(outcome.type).toBe('task.completed');
      await eventually(
        () => {
          const { roots, spans, childrenOf } = tree(traceId);
          const effects = spans.filter((s) => s.name === 'effect llm.call');
          expect(effects.map((s) => s.attributes['moe.effect.redriven'])).toEqual([false, true]);
          // both runs are children of the turn that started the effect, in this one trace
          for (const e of effects) expect(parentOf(e)).toBe(idOf(submitTurn));
          const redriven = effects.find((s) => s.attributes['moe.effect.redriven'] === true)!;
          const [result] = childrenOf(redriven, 'send effect.result');
          expect(childrenOf(result!, 'turn agent effect.result')).toHaveLength(1);
          expect(roots.map((r) => r.name)).toEqual(['test client']);
          return true;
        },
        { timeoutMs: 10_000 },
      );
    } finally {
      await first?.stop();
      await second?.stop();
      node = await startNode(); // afterAll stops it
    }
  }, 40_000);
});
