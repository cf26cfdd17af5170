/**
 * Effect execution. An effect runs only after the turn that started it is durable; its outcome is
 * published back to the actor as a command whose id is derived from the effect id, so a re-driven
 * effect (after a crash) produces the same command id and is applied at most once.
 *
 * Supervision: a handler error that is retryable (MoeError.retryable, or an unknown error) is retried
 * with the one backoff (backoff.ts), never sooner than `retryAfterMs`; a terminal error, or the retry
 * limit, ends in `effect.failed` — the machine decides what failure means (the agent goes to `failed`).
 */
import { isMoeError, type ActorAddress, type EffectSpec } from '../../schemas/index.js';
import { retryDelay, type RetryPolicy } from './backoff.js';
import type { Clock } from './clock.js';
import { kernelErrors } from './errors.js';

export type { RetryPolicy } from './backoff.js';

export interface EffectInvocation {
  readonly address: ActorAddress;
  /** the effect as journaled plus the inputs its actor kind reads from its context (effectDispatch.ts) */
  readonly effect: EffectSpec;
  readonly session: string;
  readonly attempt: number;
  readonly signal: AbortSignal;
  /**
   * Records the effect's value now, before the handler returns (an LLM reply the moment it arrives,
   * before post-call bookkeeping): a crash after this re-publishes the value instead of re-running
   * the effect. The first recorded value is the effect's outcome. Absent when nothing records.
   */
  readonly checkpoint?: (value: unknown) => void;
}

export type EffectHandler = (inv: EffectInvocation) => Promise<unknown>;

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 30_000 };

export type EffectOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: { code: string; message: string; attempts: number } };

/** Runs `handler` under the retry policy; never throws (except on abort). */
export async function runWithRetry(
  handler: EffectHandler,
  base: Omit<EffectInvocation, 'attempt'>,
  policy: RetryPolicy,
  clock: Clock,
): Promise<EffectOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { ok: true, value: (await handler({ ...base, attempt })) ?? null };
    } catch (err) {
      if (base.signal.aborted) throw err;
      const moe = isMoeError(err) ? err : undefined;
      const retryable = moe ? moe.retryable : true;
      if (!retryable || attempt >= policy.maxAttempts) {
        return {
          ok: false,
          error: {
            code:
              moe?.code ??
              (retryable ? kernelErrors.EFFECT_RETRIES_EXHAUSTED : kernelErrors.EFFECT_FAILED).spec.code,
            message: err instanceof Error ? err.message : String(err),
            attempts: attempt,
          },
        };
      }
      // the kernel waits out any retry-after, however long: it is where long hints are sent to wait
      const delayMs = retryDelay(attempt, policy, moe?.retryAfterMs) ?? moe?.retryAfterMs ?? 0;
      await clock.sleep(delayMs, base.signal);
    }
  }
}
