/**
 * A simulated kernel clock for tests about time: timers and sleeps fire only when the test moves
 * time on with `advance`, never because the machine was slow. `now()` starts at the wall-clock time
 * the clock was made (or `start`) and moves only with `advance`, so it is comparable with the `at` NATS stamps
 * on commands, and a timer for `fireAt` is due at exactly `fireAt`.
 *
 * @example
 *   const clock = simulatedClock();
 *   const node = await p.node({ clock });
 *   clock.advance(500); // every timer due within 500 ms fires now, in order
 */
import type { Clock } from '../../actors/kernel/index.js';

interface Timer {
  readonly id: number;
  readonly due: number;
  readonly fn: () => void;
}

export interface FiredTimer {
  readonly due: number;
  readonly firedAt: number;
}

export interface SimulatedClock extends Clock {
  /** moves time on by `ms` and fires every timer that is then due, earliest first */
  advance(ms: number): void;
  /** timers (and sleeps) scheduled and not yet fired or cleared */
  readonly pending: number;
  /** when each of those is due, earliest first */
  readonly pendingDue: readonly number[];
  /** every timer fired so far: when it was due and the simulated time it fired at */
  readonly fired: readonly FiredTimer[];
}

export function simulatedClock(start = Date.now()): SimulatedClock {
  let time = start;
  let nextId = 1;
  const timers = new Map<number, Timer>();
  const fired: FiredTimer[] = [];
  const now = () => time;
  const setTimer = (fn: () => void, ms: number): number => {
    const id = nextId++;
    timers.set(id, { id, due: now() + Math.max(0, ms), fn });
    return id;
  };
  return {
    now,
    setTimeout: setTimer,
    clearTimeout: (handle) => void timers.delete(handle as number),
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason as Error);
        const id = setTimer(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, ms);
        const onAbort = () => {
          timers.delete(id);
          reject(signal?.reason as Error);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
    advance(ms) {
      time += Math.max(0, ms);
      const t = time;
      const due = [...timers.values()].filter((x) => x.due <= t).sort((a, b) => a.due - b.due || a.id - b.id);
      for (const x of due) {
        if (!timers.delete(x.id)) continue; // cleared by an earlier timer of this batch
        fired.push({ due: x.due, firedAt: t });
        x.fn();
      }
    },
    get pending() {
      return timers.size;
    },
    get pendingDue() {
      return [...timers.values()].map((x) => x.due).sort((a, b) => a - b);
    },
    fired,
  };
}
