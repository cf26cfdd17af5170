/**
 * Effect execution. An effect runs only after the turn that started it is durable; its outcome is
 * published back to the actor as a command whose id is derived from the effect id, so a re-driven
 * effect (after a crash) produces the same command id and is applied at most once.
 *
 * Supervision: a handler error that is retryable (MoeError.retryable, or an unknown error) is retried
 * with the one backoff (backoff.ts), never sooner than `retryAfterMs`; a terminal error, or the retry
 * limit, ends in `effect.failed` — the machine decides what failure means (the agent goes to `failed`).
 *
 * A NATS/JetStream outage met inside the handler (natsOutage.ts: a KV read that timed out while a
 * server was killed, no responders during an election, a closed connection), however the handler
 * wrapped it, is not the effect's failure: it is retried whatever the error says about itself, for
 * up to `outageMs` from the first attempt, with waits capped at `outageMaxDelayMs` so the effect
 * resumes soon after the bus does, and without using up `maxAttempts`. Only an outage that outlasts
 * that bound ends the effect failed (nothing is retried forever). A retry never runs a side effect
 * twice: the scheduler hands a later attempt the value an earlier one recorded (effectScheduler.ts).
 */
import { isMoeError, type ActorAddress, type EffectSpec } from '../../schemas/index.js';
import { retryDelay, type RetryPolicy } from './backoff.js';
import type { Clock } from './clock.js';
import { kernelErrors } from './errors.js';
import { isNatsOutage } from './natsOutage.js';

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

/** The effect retry policy: the one backoff, and how long a NATS outage inside an effect is waited out. */
export interface EffectRetryPolicy extends RetryPolicy {
  /** how long after its first attempt an effect keeps retrying through a NATS outage (ms); default {@link OUTAGE_RETRY_MS} */
  readonly outageMs?: number;
  /** longest wait between two attempts during an outage (ms); default {@link OUTAGE_MAX_DELAY_MS} */
  readonly outageMaxDelayMs?: number;
}

/**
 * An effect waits out a NATS outage this long (ms): a server restart, a cluster election or a
 * reconnect take seconds; an outage of minutes ends the effect failed with the error's code.
 */
export const OUTAGE_RETRY_MS = 120_000;
/** the longest wait between two attempts during an outage (ms): the effect resumes soon after the bus */
export const OUTAGE_MAX_DELAY_MS = 2_000;

export const DEFAULT_RETRY: EffectRetryPolicy = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 30_000 };

/** What a failed attempt that will be retried reports (for the scheduler's log). */
export interface EffectRetry {
  readonly attempt: number;
  readonly error: unknown;
  readonly delayMs: number;
  /** the attempt met a NATS outage (natsOutage.ts) */
  readonly outage: boolean;
}

export type EffectOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: { code: string; message: string; attempts: number } };

/** Runs `handler` under the retry policy; never throws (except on abort). */
export async function runWithRetry(
  handler: EffectHandler,
  base: Omit<EffectInvocation, 'attempt'>,
  policy: EffectRetryPolicy,
  clock: Clock,
  onRetry?: (retry: EffectRetry) => void,
): Promise<EffectOutcome> {
  const outageUntil = clock.now() + (policy.outageMs ?? OUTAGE_RETRY_MS);
  const outagePolicy: RetryPolicy = {
    ...policy,
    maxDelayMs: Math.min(policy.maxDelayMs, policy.outageMaxDelayMs ?? OUTAGE_MAX_DELAY_MS),
  };
  // failures of the work itself count against maxAttempts; outages count against the clock
  let failures = 0;
  let outages = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return { ok: true, value: (await handler({ ...base, attempt })) ?? null };
    } catch (err) {
      if (base.signal.aborted) throw err;
      const moe = isMoeError(err) ? err : undefined;
      const outage = isNatsOutage(err);
      if (outage) outages++;
      else failures++;
      const retryable = outage || (moe ? moe.retryable : true);
      const exhausted = outage ? clock.now() >= outageUntil : failures >= policy.maxAttempts;
      if (!retryable || exhausted) {
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
      const delayMs = outage
        ? (retryDelay(outages, outagePolicy, moe?.retryAfterMs) ?? moe?.retryAfterMs ?? 0)
        : (retryDelay(failures, policy, moe?.retryAfterMs) ?? moe?.retryAfterMs ?? 0);
      onRetry?.({ attempt, error: err, delayMs, outage });
      await clock.sleep(delayMs, base.signal);
    }
  }
}
