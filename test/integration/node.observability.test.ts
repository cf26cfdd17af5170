/**
 * A workspace-node's probes and metrics (workspace-node/probeServer.ts, metrics.ts) against a real
 * nats-server and the Anthropic SDK on the fake provider wire: `/healthz` answers while the node
 * starts, `/readyz` only once discovery caught up and the workspace it found is consuming, `/readyz`
 * turns 503 while NATS is down and 200 when it is back, and `/metrics` moves when tasks run.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MoeClient } from '../../client/index.js';
import { ensureStreams, kernelErrors } from '../../actors/kernel/index.js';
import { STREAMS, workspaceConsumerName } from '../../schemas/index.js';
import { startWorkspaceNode, type WorkspaceNode } from '../../workspace-node/index.js';
import {
  fakeError,
  fakeReply,
  startFakeProviderServer,
  type FakeProviderServer,
} from '../fakes/providerWire.js';
import {
  eventually,
  freePort,
  silent,
  startNatsServer,
  tempDirs,
  type NatsServerHandle,
} from '../harness/index.js';
import { metricValue } from './metrics.kit.js';

let ns: NatsServerHandle;
let fake: FakeProviderServer;
let nc: NatsConnection;
let client: MoeClient;
let node: WorkspaceNode | undefined;
const dirs = tempDirs();

beforeAll(async () => {
  ns = await startNatsServer();
  fake = await startFakeProviderServer();
  nc = await connect({ servers: ns.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  client = new MoeClient(nc);
  await ensureStreams(nc, await jetstreamManager(nc));
});
afterAll(async () => {
  await node?.stop().catch(() => undefined);
  await nc?.close().catch(() => undefined);
  await fake?.close();
  await ns?.stop();
  dirs.removeAll();
});

async function get(url: string): Promise<{ status: number; body: string } | null> {
  try {
    const res = await fetch(url);
    return { status: res.status, body: await res.text() };
  } catch {
    return null; // not listening yet
  }
}

const metrics = async () => (await get(`${node!.httpUrl}/metrics`))!.body;

describe('workspace-node probes and metrics', () => {
  it('is live at once, and ready only when discovery caught up and the workspace found is consuming', async () => {
    // a workspace with a command waiting: the node must find it and bind its consumer before ready
    await client.send(
      { org: 'obs', ws: 'w1', kind: 'agent', id: 'warmup' },
      { id: 'warmup-1', type: 'task.submit', data: { prompt: 'hi', profile: 'scripted' } },
    );
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const starting = startWorkspaceNode({
      natsUrl: ns.url,
      dataDir: dirs.make('moe-obs-'),
      nodeId: 'obs-1',
      logger: silent,
      httpPort: port,
      leaseMs: 3000,
      providers: { anthropic: { apiKey: 'test', baseURL: fake.anthropicBaseURL } },
      profiles: {
        haiku: { name: 'haiku', provider: 'anthropic', model: 'claude-haiku-4-5', maxTokens: 256 },
      },
      routerRetry: { maxAttempts: 1, baseDelayMs: 10, maxDelayMs: 20 },
    });
    const seen: number[] = [];
    let notReady: { checks: Record<string, boolean> } | undefined;
    let consumerAtReady: unknown = 'not looked up';
    const jsm = await jetstreamManager(nc);
    for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
      const r = await get(`${base}/readyz`);
      if (r) {
        seen.push(r.status);
        if (r.status === 503) notReady ??= JSON.parse(r.body) as { checks: Record<string, boolean> };
        if (r.status === 200) {
          consumerAtReady = await jsm.consumers
            .info(STREAMS.commands, workspaceConsumerName('obs', 'w1'))
            .then((ci) => ci.name)
            .catch(() => null);
          break;
        }
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    node = await starting;
    expect(seen[0], 'the first answer: not ready').toBe(503);
    expect(seen.at(-1)).toBe(200);
    expect(notReady?.checks.nats).toBe(true);
    expect(Object.values(notReady!.checks)).toContain(false);
    expect(consumerAtReady, 'the consumer exists when ready').toBe(workspaceConsumerName('obs', 'w1'));
    expect(node.hosts.has('obs.w1')).toBe(true);
    expect(node.httpUrl).toBe(base);
    const health = await get(`${base}/healthz`);
    expect(health?.status).toBe(200);
    expect(JSON.parse(health!.body)).toEqual({ ok: true, node: 'obs-1' });
    const nope = await get(`${base}/nope`);
    expect(nope?.status).toBe(404);
    expect(JSON.parse(nope!.body)).toEqual({
      error: { code: 'MOE_ERR_ROUTE_NOT_FOUND', message: 'no route for this method and path: GET /nope' },
    });
    const post = await fetch(`${base}/healthz`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(((await post.json()) as { error: { code: string } }).error.code).toBe(
      'MOE_ERR_METHOD_NOT_ALLOWED',
    );
  });

  it('counts turns, entries, latency, fsyncs, effects, provider calls, tokens and cost as a task runs', async () => {
    const before = await metrics();
    const turnsBefore = metricValue(before, 'moe_node_turns_total', { kind: 'agent' });
    const latencyBefore = metricValue(before, 'moe_node_turn_duration_seconds_count', { kind: 'agent' });
    fake.enqueue('anthropic', fakeReply({ text: 'done', usage: { input: 1000, output: 200 } }));
    const { outcome } = await client.runTask(
      'obs',
      'w1',
      'priced',
      { prompt: 'answer', profile: 'haiku' },
      { timeoutMs: 15_000 },
    );
    expect(outcome.type).toBe('task.completed');
    const after = await metrics();
    const m = (name: string, labels: Record<string, string> = {}) => metricValue(after, name, labels);
    expect(m('moe_node_turns_total', { kind: 'agent' })).toBeGreaterThan(turnsBefore);
    expect(m('moe_node_turn_duration_seconds_count', { kind: 'agent' })).toBeGreaterThan(latencyBefore);
    expect(m('moe_node_journal_entries_total')).toBeGreaterThan(0);
    expect(m('moe_node_journal_entry_bytes_sum')).toBeGreaterThan(0);
    expect(m('moe_node_fsync_duration_seconds_count')).toBeGreaterThan(0);
    expect(m('moe_node_effects_started_total', { kind: 'llm.call' })).toBeGreaterThan(0);
    const served = { provider: 'anthropic', model: 'claude-haiku-4-5' };
    expect(m('moe_node_provider_calls_total', { ...served, outcome: 'ok' })).toBe(1);
    expect(m('moe_node_provider_call_duration_seconds_count', served)).toBe(1);
    expect(m('moe_node_provider_tokens_total', { ...served, kind: 'input' })).toBe(1000);
    expect(m('moe_node_provider_tokens_total', { ...served, kind: 'output' })).toBe(200);
    // claude-haiku-4-5 at $1 / $5 per MTok: 1000·1 + 200·5 µ$
    expect(m('moe_node_provider_cost_micros_total', served)).toBe(2000);
    expect(m('moe_node_provider_breaker_state', served)).toBe(0);
    expect(m('moe_node_workspaces_hosted')).toBeGreaterThanOrEqual(1);
    expect(m('moe_node_nats_connected')).toBe(1);
    expect(m('moe_node_ready')).toBe(1);
    expect(after).toMatch(/^moe_node_workspace_backlog\{org="obs",ws="w1"\} \d+$/m);
    expect(after).toMatch(/^moe_node_projection_lag_entries\{org="obs",ws="w1"\} \d+$/m);
    expect(after).toMatch(/^moe_node_process_cpu_seconds_total /m);
  });

  it('counts failed provider calls and effects, and dead letters by code', async () => {
    fake.enqueue('anthropic', fakeError(400, {}, 'bad request'));
    const { outcome } = await client.runTask(
      'obs',
      'w1',
      'refused',
      { prompt: 'answer', profile: 'haiku' },
      { timeoutMs: 15_000 },
    );
    expect(outcome.type).toBe('task.failed');
    await client.send(
      { org: 'obs', ws: 'w1', kind: 'agent', id: 'poison' },
      { id: 'poison-1', type: 'no.such.command', data: {} },
    );
    const code = kernelErrors.UNKNOWN_COMMAND.spec.code;
    const text = await eventually(
      async () => {
        const t = await metrics();
        return metricValue(t, 'moe_node_dead_letters_total', { code }) === 1 ? t : undefined;
      },
      { timeoutMs: 10_000, what: 'the dead letter counted' },
    );
    const served = { provider: 'anthropic', model: 'claude-haiku-4-5' };
    expect(metricValue(text, 'moe_node_provider_calls_total', { ...served, outcome: 'error' })).toBe(1);
    expect(metricValue(text, 'moe_node_effects_failed_total', { kind: 'llm.call' })).toBe(1);
  });

  it('is not ready while NATS is down, and ready again once it is back; live throughout', async () => {
    const url = node!.httpUrl!;
    await ns.kill();
    const down = await eventually(
      async () => {
        const r = await get(`${url}/readyz`);
        return r?.status === 503 ? (JSON.parse(r.body) as { checks: Record<string, boolean> }) : undefined;
      },
      { timeoutMs: 10_000, what: '/readyz 503 with NATS down' },
    );
    expect(down.checks.nats).toBe(false);
    expect((await get(`${url}/healthz`))?.status).toBe(200);
    expect(metricValue(await metrics(), 'moe_node_nats_connected')).toBe(0);
    await ns.restart();
    await eventually(async () => ((await get(`${url}/readyz`))?.status === 200 ? true : undefined), {
      timeoutMs: 20_000,
      what: '/readyz 200 with NATS back',
    });
    expect(metricValue(await metrics(), 'moe_node_ready')).toBe(1);
  });
});
