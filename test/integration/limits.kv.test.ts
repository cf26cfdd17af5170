/**
 * Cluster-wide limits over a real nats-server (2.9): two NATS connections stand for two nodes
 * sharing one `moe_limits` bucket. Concurrent reservations from both never overshoot a budget or a
 * rate limit; settlement and release correct the counters; the router refuses a call the budget
 * cannot pay for before any request leaves the node.
 */
import type { KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MoeError } from '../../schemas/index.js';
import {
  createLimiter,
  openLimitsBucket,
  type BudgetState,
  type OrgBudget,
} from '../../workspace-node/limits/index.js';
import { anthropicProvider, createRouter, type Provider } from '../../workspace-node/providers/index.js';
import { fakeClock } from '../fakes/clock.js';
import { fakeReply, startFakeProviderServer, type FakeProviderServer } from '../fakes/providerWire.js';
import { startNatsServer, type NatsServerHandle } from '../harness/index.js';

let ns: NatsServerHandle;
let nc1: NatsConnection;
let nc2: NatsConnection;
let kv1: KV;
let kv2: KV;
let fake: FakeProviderServer;

beforeAll(async () => {
  ns = await startNatsServer();
  nc1 = await connect({ servers: ns.url });
  nc2 = await connect({ servers: ns.url });
  kv1 = await openLimitsBucket(nc1);
  kv2 = await openLimitsBucket(nc2);
  fake = await startFakeProviderServer();
});

afterAll(async () => {
  await fake?.close();
  await nc1?.close();
  await nc2?.close();
  await ns?.stop();
});

const reservation = (org: string, provider: string, tokens: number, priceMicros: number) => ({
  org,
  provider,
  model: 'm',
  tokens,
  priceMicros,
});

async function settled<T>(ps: Promise<T>[]) {
  const results = await Promise.allSettled(ps);
  const ok = results.filter((r) => r.status === 'fulfilled');
  const failed = results
    .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    .map((r) => r.reason as MoeError);
  return { ok, failed };
}

describe('limits in JetStream KV', () => {
  it('lets exactly 20 of 50 concurrent reservations from two nodes into a budget that fits 20', async () => {
    const budgetOf = (): OrgBudget => ({ limitMicros: 20_000, period: 'month' });
    const clock = fakeClock();
    const node1 = createLimiter({ kv: kv1, budgetOf, clock });
    const node2 = createLimiter({ kv: kv2, budgetOf, clock });

    // Watch every value the key ever takes: none may exceed the budget.
    const seen: number[] = [];
    const watch = await kv1.watch({ key: 'budget.org-b' });
    const watching = (async () => {
      for await (const e of watch) if (e.operation === 'PUT') seen.push(e.json<BudgetState>().usedMicros);
    })();

    const { ok, failed } = await settled(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 ? node1 : node2).reserve(reservation('org-b', 'anthropic', 10, 1_000)),
      ),
    );
    expect(ok).toHaveLength(20);
    expect(failed).toHaveLength(30);
    for (const e of failed) {
      expect(e).toBeInstanceOf(MoeError);
      expect(e.code).toBe('MOE_ERR_BUDGET_EXCEEDED');
      expect(e.retryable).toBe(false);
    }
    expect(await node1.budgetState('org-b')).toEqual({ period: '2025-06', usedMicros: 20_000 });

    await new Promise((r) => setTimeout(r, 100));
    watch.stop();
    await watching;
    expect(seen.length).toBe(20);
    expect(Math.max(...seen)).toBe(20_000);
  });

  it('holds a requests-per-minute limit across two nodes and opens a new window the next minute', async () => {
    const clock = fakeClock(Date.UTC(2025, 5, 1, 12, 0, 45)); // 15 s before the minute ends
    const rates = { openai: { requestsPerMinute: 20 } };
    const node1 = createLimiter({ kv: kv1, rates, clock });
    const node2 = createLimiter({ kv: kv2, rates, clock });

    const { ok, failed } = await settled(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 ? node1 : node2).reserve(reservation('o', 'openai', 100, 0)),
      ),
    );
    expect(ok).toHaveLength(20);
    expect(failed).toHaveLength(30);
    for (const e of failed) {
      expect(e.code).toBe('MOE_ERR_RATE_LIMIT_EXCEEDED');
      expect(e.retryable).toBe(true);
      expect(e.retryAfterMs).toBe(15_000);
    }
    expect(await node2.rateWindow('openai')).toEqual({
      minute: Math.floor(clock.now() / 60_000),
      requests: 20,
      tokens: 2_000,
    });

    clock.advance(15_000);
    await node1.reserve(reservation('o', 'openai', 100, 0));
    expect(await node2.rateWindow('openai')).toEqual({
      minute: Math.floor(clock.now() / 60_000),
      requests: 1,
      tokens: 100,
    });
  });

  it('settles the real token count so a later call fits the tokens-per-minute window', async () => {
    const clock = fakeClock();
    const limiter = createLimiter({ kv: kv1, rates: { tpm: { tokensPerMinute: 1_000 } }, clock });
    const first = await limiter.reserve(reservation('o', 'tpm', 400, 0));
    const second = await limiter.reserve(reservation('o', 'tpm', 400, 0));
    await expect(limiter.reserve(reservation('o', 'tpm', 400, 0))).rejects.toMatchObject({
      code: 'MOE_ERR_RATE_LIMIT_EXCEEDED',
    });
    await first.settle({ tokens: 100, priceMicros: 0 }); // used far less than estimated
    await second.release(); // failed: tokens back, the request stays counted
    expect(await limiter.rateWindow('tpm')).toMatchObject({ requests: 2, tokens: 100 });
    await limiter.reserve(reservation('o', 'tpm', 400, 0));
    expect(await limiter.rateWindow('tpm')).toMatchObject({ requests: 3, tokens: 500 });
  });

  it('replaces a budget estimate by the real price on settle and gives it back on release', async () => {
    const limiter = createLimiter({
      kv: kv2,
      budgetOf: () => ({ limitMicros: 10_000, period: 'day' }),
      clock: fakeClock(),
    });
    const a = await limiter.reserve(reservation('org-s', 'x', 1, 6_000));
    const b = await limiter.reserve(reservation('org-s', 'x', 1, 4_000));
    await a.settle({ tokens: 1, priceMicros: 1_500 });
    expect(await limiter.budgetState('org-s')).toEqual({ period: '2025-06-01', usedMicros: 5_500 });
    await b.release();
    await b.release(); // idempotent
    expect(await limiter.budgetState('org-s')).toEqual({ period: '2025-06-01', usedMicros: 1_500 });
  });

  it('undoes the rate reservation when the budget refuses the call', async () => {
    const limiter = createLimiter({
      kv: kv1,
      rates: { undo: { requestsPerMinute: 5 } },
      budgetOf: () => ({ limitMicros: 100, period: 'total' }),
      clock: fakeClock(),
    });
    await expect(limiter.reserve(reservation('org-u', 'undo', 10, 500))).rejects.toMatchObject({
      code: 'MOE_ERR_BUDGET_EXCEEDED',
    });
    expect(await limiter.rateWindow('undo')).toMatchObject({ requests: 0, tokens: 0 });
  });

  it('makes the router refuse a call the org budget cannot pay for, before any request is sent', async () => {
    const providers = new Map<string, Provider>([
      ['anthropic', anthropicProvider({ apiKey: 'k', baseURL: fake.anthropicBaseURL })],
    ]);
    const clock = fakeClock();
    const gate = createLimiter({
      kv: kv2,
      budgetOf: () => ({ limitMicros: 120_000, period: 'month' }),
      clock,
    });
    const router = createRouter({
      providers,
      profiles: { c: { name: 'c', provider: 'anthropic', model: 'claude-haiku-4-5', maxTokens: 1_000 } },
      gate,
      clock,
    });
    const call = {
      org: 'org-r',
      profile: 'c',
      messages: [{ role: 'user' as const, content: 'hi' }],
      tools: [],
      idempotencyKey: 'e',
      step: 0,
    };
    // estimate: ~1 input token + 1 000 output tokens at $5/MTok ≈ 5 001 µ$ cost → 25 005 µ$ price (5×)
    fake.enqueue('anthropic', fakeReply({ text: 'ok', usage: { input: 10, output: 100 } }));
    const out = await router.call(call);
    // real: 10 × $1 + 100 × $5 per MTok = 510 µ$ cost → 2 550 µ$ price; the estimate was released
    expect(out.priceMicros).toBe(2_550);
    expect(await gate.budgetState('org-r')).toEqual({ period: '2025-06', usedMicros: 2_550 });

    const requestsBefore = fake.requests.length;
    const tight = createLimiter({
      kv: kv2,
      budgetOf: () => ({ limitMicros: 20_000, period: 'month' }),
      clock,
    });
    const router2 = createRouter({
      providers,
      profiles: { c: { name: 'c', provider: 'anthropic', model: 'claude-haiku-4-5', maxTokens: 1_000 } },
      gate: tight,
      clock,
    });
    await expect(router2.call(call)).rejects.toMatchObject({ code: 'MOE_ERR_BUDGET_EXCEEDED' });
    expect(fake.requests.length).toBe(requestsBefore);
  });
});
