/**
 * Retries in the usage accounting, pure: the router's per-target attempts summary (nothing when the
 * first try served; skipped targets left out), bucket rows from a snapshot written before the
 * retry fields (read as 0, never NaN), and the `retries` suggestion's threshold and figures.
 */
import { describe, expect, it } from 'vitest';
import { emptyBucketRow, UsageBuckets, type BucketRow } from '../../gateway/usageBuckets.js';
import { retrySuggestions } from '../../gateway/usageSuggestions.js';
import { summarizeAttempts, type AttemptRecord } from '../../workspace-node/providers/router.js';

const t = { provider: 'anthropic', model: 'claude-haiku-4-5' };
const costOf = (_p: string, _m: string, u: { inputTokens: number }) => u.inputTokens;

describe('summarizeAttempts', () => {
  it('is empty when the first attempt served, even after skipped targets', () => {
    const a: AttemptRecord[] = [
      { provider: 'x', model: 'y', attempt: 0, outcome: 'skipped', code: 'MOE_ERR_CIRCUIT_OPEN' },
      { ...t, attempt: 1, outcome: 'ok' },
    ];
    expect(summarizeAttempts(a, costOf, 5)).toEqual([]);
  });

  it('counts 429s apart, sums waits and prices billed usage with the markup', () => {
    const billed = { inputTokens: 40, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
    const a: AttemptRecord[] = [
      { ...t, attempt: 1, outcome: 'failed', code: 'MOE_ERR_PROVIDER_RATE_LIMITED', waitMs: 250 },
      { ...t, attempt: 2, outcome: 'failed', code: 'MOE_ERR_PROVIDER_UNAVAILABLE', waitMs: 17, billed },
      { ...t, attempt: 3, outcome: 'ok' },
    ];
    expect(summarizeAttempts(a, costOf, 5)).toEqual([
      {
        ...t,
        count: 3,
        rateLimited: 1,
        otherFailures: 1,
        waitMs: 267,
        failedUsage: billed,
        failedCostMicros: 40,
        failedPriceMicros: 200,
      },
    ]);
  });
});

describe('retry figures in the usage buckets', () => {
  it('reads rows of an older snapshot (no retry fields) as 0', () => {
    const dims = { ws: 'w', project: null, agent: 'a', provider: 'anthropic', model: 'm' };
    const old = { ...emptyBucketRow(dims) } as Partial<BucketRow>;
    for (const k of [
      'retriedCalls',
      'failedAttempts',
      'rateLimitedAttempts',
      'retryWaitMs',
      'failedAttemptCostMicros',
    ] as const)
      delete old[k];
    const b = new UsageBuckets();
    b.load({ hours: [{ ...(old as BucketRow), org: 'o', at: 0 }], days: [] }, 0);
    b.add('o', 1, dims, (r) => {
      r.failedAttempts += 2;
      r.retryWaitMs += 300;
    });
    const rows: BucketRow[] = [];
    b.forEach({ org: 'o', to: 3_600_000 }, (r) => rows.push(r));
    expect(rows.some((r) => r.failedAttempts === 2 && r.retryWaitMs === 300 && r.retriedCalls === 0)).toBe(
      true,
    );
  });

  it('suggests only when failed attempts cost money or time', () => {
    const row = (over: Partial<BucketRow>): BucketRow => ({
      ...emptyBucketRow({ ws: 'w', project: null, agent: 'a', provider: 'openai', model: 'gpt-5' }),
      ...over,
    });
    expect(retrySuggestions([row({ failedAttempts: 1 })])).toEqual([]);
    const [s] = retrySuggestions([
      row({ retriedCalls: 1, failedAttempts: 2, rateLimitedAttempts: 2, retryWaitMs: 1500 }),
    ]);
    expect(s).toMatchObject({
      kind: 'retries',
      provider: 'openai',
      estimatedSavingMicros: 0,
      estimatedSavingMs: 1500,
    });
    expect(s!.title).toContain('raise its rate limit');
  });
});
