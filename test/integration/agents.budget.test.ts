/**
 * One org budget shared by two workspace-nodes: agent runs on both, concurrently, through the
 * whole kernel and router, never spend more than the budget. Reservations hold each call's
 * estimate (an upper bound: `maxTokens` of output) in the shared `moe_limits` KV with
 * compare-and-set; refused runs fail with MOE_ERR_BUDGET_EXCEEDED.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordWithSeq } from '../../client/index.js';
import type { WorkspaceNode, WorkspaceNodeOptions } from '../../workspace-node/index.js';
import { fakeReply, startFakeProviderServer, type FakeProviderServer } from '../fakes/providerWire.js';
import { startPlatform, type Platform } from '../harness/index.js';
import { eventsOf, FAST_RETRY } from './agents.kit.js';

const LIMIT = 10_000;
const RUNS_PER_NODE = 6;

let p: Platform;
let fake: FakeProviderServer;
let nodeA: WorkspaceNode;

beforeAll(async () => {
  p = await startPlatform();
  fake = await startFakeProviderServer();
  const options = (nodeId: string, ws: string): WorkspaceNodeOptions => ({
    nodeId,
    only: [`shared.${ws}`],
    providers: { anthropic: { apiKey: 'test-a', baseURL: fake.anthropicBaseURL } },
    // no tools offered and 100 output tokens at most: each call is estimated at ~2.5k µ$
    profiles: {
      haiku: { name: 'haiku', provider: 'anthropic', model: 'claude-haiku-4-5', maxTokens: 100, tools: [] },
    },
    limits: { budgets: { orgs: { shared: { limitMicros: LIMIT, period: 'month' } } } },
    routerRetry: FAST_RETRY,
  });
  nodeA = await p.node(options('node-a', 'wa'));
  await p.node(options('node-b', 'wb'));
  // every call really costs 100·1 + 20·5 = 200 µ$, 1000 µ$ to the customer
  for (let i = 0; i < 2 * RUNS_PER_NODE; i++)
    fake.enqueue(
      'anthropic',
      fakeReply({ text: `answer ${i}`, usage: { input: 100, output: 20 }, chunkDelayMs: 5 }),
    );
});

afterAll(async () => {
  await p?.close();
  await fake?.close();
});

describe('a budget shared by two nodes', () => {
  it('is never overshot by concurrent agent runs on both nodes', async () => {
    const runs: Promise<{ outcome: Record<string, unknown>; records: RecordWithSeq[] }>[] = [];
    for (let i = 0; i < RUNS_PER_NODE; i++) {
      for (const ws of ['wa', 'wb'])
        runs.push(
          p.client.runTask(
            'shared',
            ws,
            `t${i}`,
            { prompt: `question ${i}`, profile: 'haiku' },
            { timeoutMs: 20_000 },
          ),
        );
    }
    const done = await Promise.all(runs);
    const completed = done.filter((d) => d.outcome.type === 'task.completed');
    const refused = done.filter((d) => d.outcome.type === 'task.failed');
    expect(completed.length + refused.length).toBe(2 * RUNS_PER_NODE);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((d) => d.outcome.code === 'MOE_ERR_BUDGET_EXCEEDED')).toBe(true);

    const charged = done
      .flatMap((d) => eventsOf(d.records, 'usage.recorded'))
      .reduce((n, e) => n + Number(e.priceMicros), 0);
    expect(charged).toBe(completed.length * 1000);
    expect(charged).toBeLessThanOrEqual(LIMIT);
    const state = await nodeA.agents.limiter.budgetState('shared');
    expect(state?.usedMicros).toBe(charged);
    // no refused run reached the provider
    expect(fake.requests.length).toBe(completed.length);
  });
});
