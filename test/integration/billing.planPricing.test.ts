/**
 * The plan sets the per-call price (issue 12 gap 2), on a real nats-server and workspace-node with
 * an Anthropic-compatible fake: a workspace on `standard` (5×) makes a call, its billing actor is
 * moved to `team` (4×) by `billing.plan`, and it makes another call. The node prices the second
 * call with the workspace's plan (not its configured `standard`), so the usage the journal records
 * (the `usage.recorded` prices that `GET /api/workspaces/:id/usage` sums) equals the price of the
 * invoice's usage lines for the period (the node's draft, segmented like the issued invoice).
 */
import type { Msg } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BILLING_ACTOR_ID, periodOf } from '../../actors/index.js';
import { billingDraftSubject, knownEvents, type Invoice } from '../../schemas/index.js';
import { fakeReply, startFakeProviderServer, type FakeProviderServer } from '../fakes/providerWire.js';
import { eventually, startPlatform, type Platform } from '../harness/index.js';
import { eventsOf, FAST_RETRY } from './agents.kit.js';

const ORG = 'pp';
const WS = 'w1';
let p: Platform;
let fake: FakeProviderServer;

beforeAll(async () => {
  p = await startPlatform();
  fake = await startFakeProviderServer();
  await p.node({
    nodeId: 'node-a',
    only: [`${ORG}.${WS}`],
    providers: { anthropic: { apiKey: 'test-a', baseURL: fake.anthropicBaseURL } },
    profiles: {
      haiku: { name: 'haiku', provider: 'anthropic', model: 'claude-haiku-4-5', maxTokens: 100, tools: [] },
    },
    routerRetry: FAST_RETRY,
  });
});

afterAll(async () => {
  await p?.close();
  await fake?.close();
});

const billing = { org: ORG, ws: WS, kind: 'billing', id: BILLING_ACTOR_ID };
let n = 0;
const send = (type: string, data: Record<string, unknown> = {}) =>
  p.client.send(billing, { id: `b${++n}`, type, data, session: BILLING_ACTOR_ID });

async function run(task: string, input: number, output: number) {
  fake.enqueue('anthropic', fakeReply({ text: task, usage: { input, output } }));
  const { outcome, records } = await p.client.runTask(
    ORG,
    WS,
    task,
    { prompt: task, profile: 'haiku' },
    { timeoutMs: 30_000 },
  );
  expect(outcome.type).toBe('task.completed');
  return eventsOf(records, 'usage.recorded');
}

describe('the billing plan prices each call', () => {
  it('usage totals equal the invoice after a mid-period plan change', async () => {
    const start = Date.now();
    await send('billing.start');
    // haiku: $1 / $5 per MTok → 1000 in + 200 out = 1000 + 1000 = 2000 µ$
    const before = await run('t1', 1000, 200);
    expect(before).toHaveLength(1);
    expect(before[0]).toMatchObject({ costMicros: 2000, priceMicros: 10_000, markup: 5 });

    await send('billing.plan', { plan: 'team' });
    await eventually(
      async () => {
        const recs = await p.records(`moe.evt.${ORG}.${WS}.billing.>`);
        return recs.some((r) =>
          knownEvents(r.record.events).some((e) => e.type === 'billing.configured' && e.plan === 'team'),
        )
          ? true
          : undefined;
      },
      { timeoutMs: 30_000, what: 'billing.configured team' },
    );
    // 3000 in + 400 out = 3000 + 2000 = 5000 µ$ at team's 4×
    const after = await run('t2', 3000, 400);
    expect(after[0]).toMatchObject({ costMicros: 5000, priceMicros: 20_000, markup: 4 });

    // what the usage projection sums: every usage.recorded of the workspace
    const recorded = (await p.records(`moe.evt.${ORG}.${WS}.>`)).flatMap((r) =>
      knownEvents(r.record.events).flatMap((e) => (e.type === 'usage.recorded' ? [e] : [])),
    );
    const usagePrice = recorded.reduce((s, e) => s + e.priceMicros, 0);
    const usageCost = recorded.reduce((s, e) => s + e.costMicros, 0);
    expect(usagePrice).toBe(30_000);

    // the invoice of the period so far, as the node computes it (the same plan segments as an issue)
    const period = periodOf(start, 'month', 'UTC');
    const draft = await eventually(
      async () => {
        const m: Msg = await p.nc.request(
          billingDraftSubject(ORG, WS),
          JSON.stringify({ start: period.start, end: Date.now() + 1, plan: 'team' }),
          { timeout: 5_000 },
        );
        const inv = m.json<Invoice>();
        const usage = inv.lines.filter((l) => l.kind === 'usage');
        return usage.reduce((s, l) => s + l.calls, 0) === 2 ? inv : undefined;
      },
      { timeoutMs: 30_000, what: 'both calls in the draft' },
    );
    const lines = draft.lines.filter((l) => l.kind === 'usage');
    expect(lines.map((l) => [l.description, l.costMicros, l.priceMicros])).toEqual([
      ['anthropic/claude-haiku-4-5 · t1 (plan standard)', 2000, 10_000],
      ['anthropic/claude-haiku-4-5 · t2 (plan team)', 5000, 20_000],
    ]);
    expect(lines.reduce((s, l) => s + l.priceMicros, 0)).toBe(usagePrice);
    expect(draft.totals.costMicros).toBe(usageCost);
    expect(draft.plan).toEqual({ name: 'team', markup: 4 });
  }, 120_000);
});
