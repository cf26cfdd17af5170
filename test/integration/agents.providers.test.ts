/**
 * Agent runs through the whole kernel on the REAL provider SDKs (`@anthropic-ai/sdk`, `openai`)
 * against the local wire-protocol fake: the router in the running node, exact cost and customer
 * price in the journal (effect result, agent.replied, usage.recorded, task.completed) and in
 * metrics.db, and a spent budget as a clear MOE_ERR_BUDGET_EXCEEDED failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LlmReply } from '../../actors/index.js';
import type { WorkspaceNode } from '../../workspace-node/index.js';
import { fakeReply, startFakeProviderServer, type FakeProviderServer } from '../fakes/providerWire.js';
import { eventually, startPlatform, type Platform } from '../harness/index.js';
import { eventsOf, FAST_RETRY } from './agents.kit.js';

let p: Platform;
let fake: FakeProviderServer;
let node: WorkspaceNode;

beforeAll(async () => {
  p = await startPlatform();
  fake = await startFakeProviderServer();
  node = await p.node({
    nodeId: 'n1',
    providers: {
      anthropic: { apiKey: 'test-a', baseURL: fake.anthropicBaseURL },
      openai: { apiKey: 'test-o', baseURL: fake.openaiBaseURL },
    },
    profiles: {
      haiku: { name: 'haiku', provider: 'anthropic', model: 'claude-haiku-4-5', maxTokens: 256 },
      mini: { name: 'mini', provider: 'openai', model: 'gpt-5-mini', maxTokens: 256 },
    },
    limits: { budgets: { orgs: { broke: { limitMicros: 1_000, period: 'month' } } } },
    routerRetry: FAST_RETRY,
  });
});

afterAll(async () => {
  await p?.close();
  await fake?.close();
});

/** metrics.db rows of a workspace, once `n` calls are projected (projections follow the journal). */
function callsIn(org: string, ws: string, n: number) {
  return eventually(
    () => {
      const host = node.hosts.get(`${org}.${ws}`);
      const rows = host?.cluster.metrics
        .prepare(
          'SELECT provider, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_micros, price_micros, markup, duration_ms, effect_id FROM calls ORDER BY seq',
        )
        .all() as Record<string, unknown>[] | undefined;
      return rows && rows.length >= n ? rows : undefined;
    },
    { what: `${n} calls in metrics.db` },
  );
}

describe('agents on the real SDKs through the kernel', () => {
  it('runs an agent on the Anthropic SDK and journals the exact cost and price of every call', async () => {
    fake.enqueue(
      'anthropic',
      fakeReply({
        text: 'Writing it.',
        toolCalls: [{ name: 'write_file', input: { path: 'a.md', content: '# A' } }],
        usage: { input: 1000, output: 200, cacheRead: 100, cacheWrite: 40 },
      }),
      fakeReply({ text: 'Wrote a.md.', usage: { input: 1500, output: 100 } }),
    );
    const { outcome, records } = await p.client.runTask(
      'acme',
      'w1',
      'claude-1',
      { prompt: 'write a.md', profile: 'haiku' },
      { timeoutMs: 15_000 },
    );
    expect(outcome).toMatchObject({ type: 'task.completed', result: 'Wrote a.md.', provider: 'anthropic' });
    // claude-haiku-4-5 at $1 / $5 / $0.10 / $1.25 per MTok; customer pays 5× (standard plan)
    // call 1: 1000·1 + 200·5 + 100·0.1 + 40·1.25 = 2060 µ$; call 2: 1500·1 + 100·5 = 2000 µ$
    expect(outcome).toMatchObject({ costMicros: 4060, priceMicros: 20_300 });
    const results = records.filter(
      (r) =>
        r.record.cmd.type === 'effect.result' &&
        (r.record.cmd.data?.value as LlmReply | undefined)?.costMicros !== undefined,
    );
    expect(results.map((r) => r.record.cmd.data?.value)).toEqual([
      expect.objectContaining({
        provider: 'anthropic',
        model: 'claude-haiku-4-5',
        costMicros: 2060,
        priceMicros: 10_300,
        markup: 5,
        org: 'acme',
        ws: 'w1',
        actor: 'acme.w1.agent.claude-1',
      }),
      expect.objectContaining({ costMicros: 2000, priceMicros: 10_000 }),
    ]);
    expect(eventsOf(records, 'agent.replied').map((e) => [e.costMicros, e.priceMicros])).toEqual([
      [2060, 10_300],
      [2000, 10_000],
    ]);
    const usage = eventsOf(records, 'usage.recorded');
    expect(usage[0]).toMatchObject({
      provider: 'anthropic',
      model: 'claude-haiku-4-5',
      usage: { inputTokens: 1000, outputTokens: 200, cacheReadTokens: 100, cacheWriteTokens: 40 },
      costMicros: 2060,
      priceMicros: 10_300,
      org: 'acme',
      ws: 'w1',
    });
    expect(typeof usage[0]?.durationMs).toBe('number');

    const rows = await callsIn('acme', 'w1', 2);
    expect(
      rows.map((r) => [
        r.provider,
        r.model,
        r.input_tokens,
        r.output_tokens,
        r.cache_read_tokens,
        r.cache_write_tokens,
        r.cost_micros,
        r.price_micros,
        r.markup,
      ]),
    ).toEqual([
      ['anthropic', 'claude-haiku-4-5', 1000, 200, 100, 40, 2060, 10_300, 5],
      ['anthropic', 'claude-haiku-4-5', 1500, 100, 0, 0, 2000, 10_000, 5],
    ]);
    expect(rows.every((r) => typeof r.duration_ms === 'number' && r.duration_ms >= 0)).toBe(true);
    // the model saw the tool result in the second request
    const second = fake.requests.filter((r) => r.route === 'anthropic').at(-1)?.body as {
      messages: { content: unknown }[];
    };
    expect(JSON.stringify(second.messages)).toContain('tool_result');
  });

  it('runs an agent on the OpenAI SDK with cached input priced at the cache rate', async () => {
    fake.enqueue(
      'openai',
      fakeReply({ text: 'Hello from gpt.', usage: { input: 4000, output: 300, cacheRead: 400 } }),
    );
    const { outcome, records } = await p.client.runTask(
      'acme',
      'w2',
      'gpt-1',
      { prompt: 'say hello', profile: 'mini' },
      { timeoutMs: 15_000 },
    );
    // gpt-5-mini at $0.25 / $2 / $0.025: (4000−400)·0.25 + 300·2 + 400·0.025 = 900 + 600 + 10 = 1510 µ$
    expect(outcome).toMatchObject({
      type: 'task.completed',
      provider: 'openai',
      costMicros: 1510,
      priceMicros: 7550,
    });
    expect(eventsOf(records, 'usage.recorded')).toEqual([
      expect.objectContaining({
        provider: 'openai',
        model: 'gpt-5-mini',
        usage: { inputTokens: 3600, outputTokens: 300, cacheReadTokens: 400, cacheWriteTokens: 0 },
        costMicros: 1510,
        priceMicros: 7550,
      }),
    ]);
    expect((await callsIn('acme', 'w2', 1)).map((r) => [r.provider, r.cost_micros, r.price_micros])).toEqual([
      ['openai', 1510, 7550],
    ]);
  });

  it('fails the task with MOE_ERR_BUDGET_EXCEEDED before any request when the budget cannot pay', async () => {
    const before = fake.requests.length;
    const { outcome, records } = await p.client.runTask(
      'broke',
      'w1',
      'poor-1',
      { prompt: 'anything', profile: 'haiku' },
      { timeoutMs: 15_000 },
    );
    expect(outcome).toMatchObject({ type: 'task.failed', code: 'MOE_ERR_BUDGET_EXCEEDED' });
    expect(outcome.type === 'task.failed' && outcome.reason).toContain('budget');
    expect(records.at(-1)?.record.state).toBe('failed');
    expect(records.find((r) => r.record.cmd.type === 'effect.failed')?.record.cmd.data?.error).toMatchObject({
      code: 'MOE_ERR_BUDGET_EXCEEDED',
      attempts: 1,
    });
    expect(fake.requests.length).toBe(before);
  });

  it('runs the offline scripted provider at zero cost when a task asks for it', async () => {
    const { outcome } = await p.client.runTask(
      'acme',
      'w3',
      'offline-1',
      { prompt: 'p', profile: 'scripted', script: [{ text: 'ok' }] },
      { timeoutMs: 15_000 },
    );
    expect(outcome).toMatchObject({
      type: 'task.completed',
      provider: 'scripted',
      costMicros: 0,
      priceMicros: 0,
    });
  });
});
