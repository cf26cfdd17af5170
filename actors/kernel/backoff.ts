/**
 * The one retry policy and its backoff, for every retry loop in the tree (effects, provider calls,
 * durable publishes, worker restarts). A wait grows exponentially from `baseDelayMs`, capped at
 * `maxDelayMs`, with "equal jitter" (half fixed, half random) so many callers that failed together
 * do not retry together.
 *
 * The retry-after rule: a server's `retry-after` is a minimum wait, never shortened by the backoff;
 * a retry-after longer than `maxWaitMs` is not waited on in-process at all (the caller gives up and
 * hands the hint on, e.g. the kernel re-drives the effect later) rather than holding work open.
 */

export interface RetryPolicy {
  /** attempts, the first one included */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** longest server-requested wait honoured in-process; absent: any */
  readonly maxWaitMs?: number;
}

/**
 * The un-jittered wait after failed attempt `attempt` (1-based): `baseDelayMs · 2^(attempt-1)`,
 * capped at `maxDelayMs`. For loops that want a fixed schedule (no jitter).
 *
 * @example exponentialDelay(3, { baseDelayMs: 100, maxDelayMs: 5000 }) // 400
 */
export function exponentialDelay(
  attempt: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>,
): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * The jittered wait after failed attempt `attempt` (1-based): between half and all of
 * {@link exponentialDelay}, in whole ms.
 *
 * @example backoffDelay(2, { maxAttempts: 5, baseDelayMs: 400, maxDelayMs: 8000 }, () => 0.5) // 600
 */
export function backoffDelay(
  attempt: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  const exp = exponentialDelay(attempt, policy);
  return Math.round(exp / 2 + random() * (exp / 2));
}

/**
 * The wait after failed attempt `attempt`, given the server's retry-after (if any): the backoff, but
 * never less than the retry-after. `undefined` when the retry-after exceeds `policy.maxWaitMs`:
 * do not wait for it here.
 *
 * @example retryDelay(1, policy, err.retryAfterMs) ?? giveUp()
 */
export function retryDelay(
  attempt: number,
  policy: RetryPolicy,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number | undefined {
  if (retryAfterMs !== undefined && retryAfterMs > (policy.maxWaitMs ?? Infinity)) return undefined;
  return Math.max(backoffDelay(attempt, policy, random), retryAfterMs ?? 0);
}
