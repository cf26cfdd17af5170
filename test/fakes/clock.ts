/**
 * A simulated clock for tests: `sleep` returns at once after advancing time and records the
 * requested wait, so tests assert on the waits a retry policy chose without really waiting.
 */
import type { Clock } from '../../workspace-node/providers/index.js';

export interface FakeClock extends Clock {
  /** every wait requested, in order */
  readonly sleeps: number[];
  advance(ms: number): void;
  set(epochMs: number): void;
}

export function fakeClock(start = Date.UTC(2025, 5, 1, 12, 0, 0)): FakeClock {
  let t = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
    advance: (ms) => {
      t += ms;
    },
    set: (epochMs) => {
      t = epochMs;
    },
  };
}
