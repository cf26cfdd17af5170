/**
 * Time as a dependency: retry backoff, circuit-breaker cooldowns and rate-limit windows read the
 * clock and sleep through this interface, so tests drive them with a simulated clock instead of
 * real sleeps (xstate's SimulatedClock idea). Request timeouts bound real I/O and use real timers.
 */
import { errors } from '../errors.js';

export interface Clock {
  /** epoch milliseconds */
  now(): number;
  /** resolves after `ms`; rejects with LLM_CANCELLED when `signal` aborts first */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(errors.LLM_CANCELLED('aborted before sleeping'));
      const onAbort = () => {
        clearTimeout(timer);
        reject(errors.LLM_CANCELLED('aborted while waiting to retry'));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};
