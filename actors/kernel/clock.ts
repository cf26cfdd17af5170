/**
 * Injected time for the kernel: timers, backoffs and leases take a Clock so tests can drive them.
 * Machines never read a clock; they get `at` in their events.
 */
import { onAbort } from './onAbort.js';
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, Math.max(0, Math.min(ms, 2_147_483_647)));
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      // One listener per signal (onAbort.ts): many sleeps share the kernel's stop signal.
      const off = signal
        ? onAbort(signal, () => {
            clearTimeout(t);
            reject(signal.reason as Error);
          })
        : undefined;
      const t = setTimeout(() => {
        off?.();
        resolve();
      }, ms);
    }),
};
