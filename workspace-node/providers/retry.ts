/**
 * Our one retry policy for provider calls. The SDKs' own retries are disabled (`maxRetries: 0`)
 * so attempts, waits and breaker accounting all happen here, where they are visible and testable.
 *
 * Waits follow the one backoff and retry-after rule (actors/kernel/backoff.ts): jittered
 * exponential backoff, never shorter than a server hint (`retryAfterMs`, from `retry-after` /
 * `retry-after-ms`). A hint longer than `maxWaitMs` is not slept on: the call gives up on this
 * provider (the router falls back, or the kernel re-drives the effect later with the hint as its
 * delay) rather than holding a turn open for minutes.
 */
import { retryDelay, systemClock, type Clock, type RetryPolicy } from '../../actors/kernel/index.js';
import { isMoeError, type MoeError } from '../../schemas/index.js';
import { errors } from '../errors.js';

export type { RetryPolicy } from '../../actors/kernel/index.js';

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxWaitMs: 30_000,
};

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
    const delayMs = retryDelay(attempt, policy, error.retryAfterMs, opts.random);
    if (delayMs === undefined) throw error;
    if (opts.signal?.aborted) throw errors.LLM_CANCELLED('aborted before retrying', { cause: error });
    opts.onRetry?.({ attempt, delayMs, error });
    // the kernel's clock rejects with the signal's reason; the caller of a provider sees LLM_CANCELLED
    await clock.sleep(delayMs, opts.signal).catch((err: unknown) => {
      if (opts.signal?.aborted) throw errors.LLM_CANCELLED('aborted while waiting to retry', { cause: err });
      throw err;
    });
  }
}
