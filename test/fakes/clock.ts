/**
 * The simulated clock (simulatedClock.ts) for code that retries: `sleep` returns at once after
 * moving time on by the wait, and records the wait, so tests assert on the waits a retry policy
 * chose without really waiting. Timers still fire only when time is moved on (by `advance` or by
 * a sleep).
 */
import { simulatedClock, type SimulatedClock } from './simulatedClock.js';

export interface FakeClock extends SimulatedClock {
  /** every wait requested, in order */
  readonly sleeps: number[];
}

export function fakeClock(start = Date.UTC(2025, 5, 1, 12, 0, 0)): FakeClock {
  const sim = simulatedClock(start);
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => sim.now(),
    setTimeout: (fn, ms) => sim.setTimeout(fn, ms),
    clearTimeout: (handle) => sim.clearTimeout(handle),
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw signal.reason;
      sleeps.push(ms);
      sim.advance(ms);
    },
    advance: (ms) => sim.advance(ms),
    get pending() {
      return sim.pending;
    },
    get pendingDue() {
      return sim.pendingDue;
    },
    get fired() {
      return sim.fired;
    },
  };
}
