/**
 * When a projection's snapshot is written: every `everyMs` (default
 * {@link DEFAULT_SNAPSHOT_INTERVAL_MS}, `MOE_GATEWAY_SNAPSHOT_MS`) while the projection has moved
 * on since the last one, and once more on a clean stop. A write that fails is logged and tried at
 * the next tick: a missing snapshot costs a longer journal read at the next start, never a wrong
 * answer. Writes never overlap.
 */
import type { FastifyBaseLogger } from 'fastify';
import { covers, type Coverage, type SnapshotStore } from './snapshotStore.js';

export const DEFAULT_SNAPSHOT_INTERVAL_MS = 5 * 60_000;

/** What a projection hands over for a snapshot, or null when it is not at a consistent point. */
export type TakeSnapshot = () => { covered: Coverage; state: unknown } | null;

export interface SnapshotSchedule {
  /** Writes a snapshot now if the projection moved on; resolves when written (or skipped). */
  flush(): Promise<void>;
  /** Stops the timer and writes a last snapshot. */
  stop(): Promise<void>;
}

/** @example const s = scheduleSnapshots(store, 'usage', () => usage.snapshot(), 300_000, log); await s.stop(); */
export function scheduleSnapshots(
  store: SnapshotStore,
  name: string,
  take: TakeSnapshot,
  everyMs: number,
  log: FastifyBaseLogger,
  saved: Coverage = {},
): SnapshotSchedule {
  let last: Coverage = saved;
  let running: Promise<void> = Promise.resolve();
  const write = async () => {
    const snap = take();
    if (!snap || covers(last, snap.covered)) return;
    try {
      const stored = await store.save(name, snap.covered, snap.state);
      last = snap.covered;
      log.debug({ projection: name, covered: snap.covered, stored }, 'projection snapshot written');
    } catch (err) {
      log.warn({ err, projection: name }, 'projection snapshot not written; trying again later');
    }
  };
  const flush = () => (running = running.then(write));
  const timer = setInterval(() => void flush(), everyMs);
  timer.unref();
  return {
    flush,
    async stop() {
      clearInterval(timer);
      await flush();
    },
  };
}
