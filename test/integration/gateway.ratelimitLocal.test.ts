/**
 * Local token buckets (gateway/rateLimit.ts): within the first half of a window's budget a gateway
 * takes tokens a block ahead, so requests within the limit cost no KV round trip (counted here as
 * writes to the rate-limit bucket's stream), while the cluster still never accepts more than the
 * limit, and a replica that took a block ahead and went idle makes another refuse at most 1.5
 * blocks early.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { createRateLimiter, prefetchBlock } from '../../gateway/rateLimit.js';
import { KV_BUCKETS } from '../../schemas/index.js';
import { startNatsServer, type NatsServerHandle } from '../harness/index.js';

let ns: NatsServerHandle;
let nc: NatsConnection;

beforeAll(async () => {
  ns = await startNatsServer();
  nc = await connect({ servers: ns.url });
});
afterAll(async () => {
  await nc?.close();
  await ns?.stop();
});

const kvWrites = async () =>
  (await (await jetstreamManager(nc)).streams.info(`KV_${KV_BUCKETS.gatewayRateLimit}`)).state.last_seq;

const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'ok' as const,
    (e: { code?: string }) => {
      expect(e.code).toBe('MOE_ERR_RATE_LIMITED');
      return 'limited' as const;
    },
  );

describe('local token buckets', () => {
  it('requests within the first half of the budget cost one KV write per block, not one per request', async () => {
    const limiter = await createRateLimiter(nc);
    const rule = { limit: 10_000, windowMs: 60_000 };
    const t0 = 8_000_000_000_000;
    const block = prefetchBlock(rule.limit);
    expect(block).toBe(64);
    const before = await kvWrites();
    for (let i = 0; i < 640; i++) await limiter.hit('local.cheap', rule, t0 + (i % 100));
    const writes = (await kvWrites()) - before;
    // 640 requests, blocks of 64 refilled at half a block: about 640 / 32 leases, never 640
    expect(writes).toBeGreaterThan(0);
    expect(writes).toBeLessThanOrEqual(640 / 32 + 2);
  });

  it('a replica holding a block ahead makes another refuse at most 1.5 blocks early, never accept more', async () => {
    const a = await createRateLimiter(nc);
    const b = await createRateLimiter(nc);
    const rule = { limit: 320, windowMs: 1000 };
    const block = prefetchBlock(rule.limit);
    expect(block).toBe(20);
    const t0 = 9_000_000_000_000;
    // a takes one token (and a block ahead), then goes idle
    await a.hit('local.slack', rule, t0);
    const results = [];
    for (let i = 0; i < 400; i++) results.push(await outcome(b.hit('local.slack', rule, t0 + 1)));
    const accepted = results.filter((r) => r === 'ok').length;
    expect(1 + accepted).toBeLessThanOrEqual(rule.limit);
    expect(1 + accepted).toBeGreaterThanOrEqual(rule.limit - 1.5 * block);
    // a still has its tokens: the window's total stays within the limit
    const fromA = [];
    for (let i = 0; i < 40; i++) fromA.push(await outcome(a.hit('local.slack', rule, t0 + 2)));
    expect(1 + accepted + fromA.filter((r) => r === 'ok').length).toBeLessThanOrEqual(rule.limit);
  });

  it('limits below 16 take nothing ahead: two replicas share them exactly', async () => {
    const a = await createRateLimiter(nc);
    const b = await createRateLimiter(nc);
    const rule = { limit: 15, windowMs: 1000 };
    expect(prefetchBlock(rule.limit)).toBe(0);
    const t0 = 9_100_000_000_000;
    await a.hit('local.exact', rule, t0);
    const results = [];
    for (let i = 0; i < 30; i++) results.push(await outcome(b.hit('local.exact', rule, t0 + 1)));
    expect(results.filter((r) => r === 'ok')).toHaveLength(14);
  });
});
