/**
 * The heartbeat's live figures (workspace-node/liveStats.ts): turns per second and latency
 * percentiles over the window, samples leaving the window, and per provider/model the attempts,
 * errors, 429s, skips, fallbacks and the breaker state.
 */
import { describe, expect, it } from 'vitest';
import { LiveStats, quantile } from '../../workspace-node/liveStats.js';

describe('LiveStats', () => {
  it('takes nearest-rank quantiles', () => {
    expect(quantile([], 0.5)).toBeNull();
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(xs, 0.5)).toBe(50);
    expect(quantile(xs, 0.99)).toBe(99);
  });

  it('counts turns per second and latency over the window, and forgets older samples', () => {
    let now = 1_000_000;
    const s = new LiveStats(() => now, 10_000);
    now += 10_000;
    s.entry(3, [5, 10, 200]);
    s.entry(2, [7, 9]);
    const r = s.report([]);
    expect(r.turnsPerSec).toBe(0.5);
    expect(r.turnP50Ms).toBe(9);
    expect(r.turnP99Ms).toBe(200);
    expect(r.rssBytes).toBeGreaterThan(0);
    now += 10_001;
    const later = s.report([]);
    expect(later).toMatchObject({ turnsPerSec: 0, turnP50Ms: null, turnP99Ms: null });
  });

  it('reports providers: attempts, errors, 429s, skips, fallbacks, latency and breaker state', () => {
    const now = 5_000;
    const s = new LiveStats(() => now);
    s.attempt('anthropic', 'a', 'error', 0.2, 'MOE_ERR_PROVIDER_RATE_LIMITED');
    s.attempt('anthropic', 'a', 'error', 0.4, 'MOE_ERR_PROVIDER_UNAVAILABLE');
    s.attempt('anthropic', 'a', 'skipped', 0);
    s.attempt('anthropic', 'b', 'ok', 0.1);
    s.fallback('anthropic', 'b');
    const r = s.report([
      { key: 'anthropic/a', state: 'open', consecutiveFailures: 5, retryAt: 9 },
      { key: 'openai/c', state: 'closed', consecutiveFailures: 0, retryAt: null },
    ]);
    expect(r.providers).toEqual([
      {
        provider: 'anthropic',
        model: 'a',
        breaker: 'open',
        attempts: 2,
        errors: 2,
        rateLimited: 1,
        skipped: 1,
        fallbacks: 0,
        p50Ms: 200,
        p99Ms: 400,
      },
      {
        provider: 'anthropic',
        model: 'b',
        breaker: 'closed',
        attempts: 1,
        errors: 0,
        rateLimited: 0,
        skipped: 0,
        fallbacks: 1,
        p50Ms: 100,
        p99Ms: 100,
      },
      {
        provider: 'openai',
        model: 'c',
        breaker: 'closed',
        attempts: 0,
        errors: 0,
        rateLimited: 0,
        skipped: 0,
        fallbacks: 0,
        p50Ms: null,
        p99Ms: null,
      },
    ]);
  });
});
