/**
 * Our one retry policy for provider calls. The SDKs' own retries are disabled (`maxRetries: 0`)
 * so attempts, waits and breaker accounting all happen here, where they are visible and testable.
 *
 * Waits: a server hint (`retryAfterMs`, from `retry-after` / `retry-after-ms`) is used as given;
 * otherwise exponential backoff with "equal jitter" (half fixed, half random) so many nodes that
 * failed together do not retry together. A hint longer than `maxWaitMs` is not slept on: the call
 * gives up on this provider (the router falls back, or the kernel re-drives the effect later
 * with the hint as its delay) rather than holding a turn open for minutes.
 */
import { isMoeError, type MoeError } from '../../schemas/index.js';
import { errors } from '../errors.js';
import { systemClock, type Clock } from './clock.js';

export interface RetryPolicy {
  /** attempts per provider, the first one included */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** longest server-requested wait we sleep on in-process */
  readonly maxWaitMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxWaitMs: 30_000,
};

/** The wait before attempt `attempt + 1` after `err` failed attempt `attempt` (1-based). */
export function backoffDelay(
  attempt: number,
  err: MoeError,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  random: () => number = Math.random,
): number {
  if (err.retryAfterMs !== undefined) return err.retryAfterMs;
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

export interface RetryOptions {
  readonly policy?: RetryPolicy;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly signal?: AbortSignal;
  /** turns a thrown value into a MoeError (e.g. {@link classifyProviderError}) */
  readonly classify: (err: unknown, attempt: number) => MoeError;
  /** sees every failed attempt; return false to stop retrying (e.g. the circuit opened) */
  readonly onFailure?: (err: MoeError, attempt: number) => boolean | void;
  /** sees every wait before it happens */
  readonly onRetry?: (info: { attempt: number; delayMs: number; error: MoeError }) => void;
}

/**
 * Runs `fn` until it succeeds, fails terminally, or runs out of attempts; throws the last
 * classified error.
 *
 * @example
 *   const reply = await withRetry((attempt) => complete(provider, req), { classify: (e) => classifyProviderError(e, ctx) });
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const policy = opts.policy ?? DEFAULT_RETRY_POLICY;
  const clock = opts.clock ?? systemClock;
  for (let attempt = 1; ; attempt++) {
    let error: MoeError;
    try {
      return await fn(attempt);
    } catch (err) {
      error = isMoeError(err) ? err : opts.classify(err, attempt);
    }
    const keepGoing = opts.onFailure?.(error, attempt) !== false;
    if (!error.retryable || !keepGoing || attempt >= policy.maxAttempts) throw error;
    const delayMs = backoffDelay(attempt, error, policy, opts.random);
    if (delayMs > policy.maxWaitMs) throw error;
    if (opts.signal?.aborted) throw errors.LLM_CANCELLED('aborted before retrying', { cause: error });
    opts.onRetry?.({ attempt, delayMs, error });
    await clock.sleep(delayMs, opts.signal);
  }
}
