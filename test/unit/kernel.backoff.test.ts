/**
 * The one backoff and retry-after rule (actors/kernel/backoff.ts): exponential from the base,
 * capped, with equal jitter; a server's retry-after is a minimum wait, and one longer than the
 * policy's `maxWaitMs` is not waited on.
 */
import { describe, expect, it } from 'vitest';
import { backoffDelay, exponentialDelay, retryDelay, type RetryPolicy } from '../../actors/kernel/index.js';

const policy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 400, maxDelayMs: 3_000, maxWaitMs: 10_000 };

describe('backoff', () => {
  it('doubles from the base delay each attempt and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 60].map((a) => exponentialDelay(a, policy))).toEqual([
      400, 800, 1_600, 3_000, 3_000, 3_000,
    ]);
  });

  it('jitters between half and all of the exponential delay', () => {
    expect(backoffDelay(2, policy, () => 0)).toBe(400);
    expect(backoffDelay(2, policy, () => 0.5)).toBe(600);
    expect(backoffDelay(2, policy, () => 1)).toBe(800);
    expect(backoffDelay(9, policy, () => 0.999)).toBeLessThanOrEqual(3_000);
  });

  it('waits the backoff when the server gave no retry-after', () => {
    expect(retryDelay(1, policy, undefined, () => 0.5)).toBe(300);
  });

  it('never waits less than a retry-after, but longer when the backoff is longer', () => {
    expect(retryDelay(1, policy, 7_000, () => 0.5)).toBe(7_000);
    expect(retryDelay(4, policy, 100, () => 1)).toBe(3_000);
  });

  it('does not wait for a retry-after longer than maxWaitMs', () => {
    expect(retryDelay(1, policy, 10_000, () => 0.5)).toBe(10_000);
    expect(retryDelay(1, policy, 10_001, () => 0.5)).toBeUndefined();
  });

  it('waits for any retry-after when the policy sets no maxWaitMs', () => {
    const { maxWaitMs: _, ...uncapped } = policy;
    expect(retryDelay(1, uncapped, 600_000, () => 0.5)).toBe(600_000);
  });
});
