/** Helpers shared by the agents.* integration tests: journal queries and waiting on them. */
import type { RecordWithSeq } from '../../client/index.js';
import { eventually, type Platform } from '../harness/index.js';

export type Ev = Record<string, unknown> & { type: string };

export function eventsOf(records: readonly RecordWithSeq[], type: string): Ev[] {
  return records.flatMap((r) => r.record.events as Ev[]).filter((e) => e.type === type);
}

export function ofActor(records: readonly RecordWithSeq[], kind: string, id: string): RecordWithSeq[] {
  return records.filter((r) => r.record.actor.kind === kind && r.record.actor.id === id);
}

/** Waits until some record under `filter` satisfies `pred`; resolves with all records. */
export function waitForRecord(
  p: Platform,
  filter: string,
  pred: (r: RecordWithSeq) => boolean,
  what: string,
  timeoutMs = 15_000,
) {
  return eventually(
    async () => {
      const recs = await p.records(filter);
      return recs.some(pred) ? recs : undefined;
    },
    { timeoutMs, what, intervalMs: 50 },
  );
}

export const hasEvent = (type: string) => (r: RecordWithSeq) => r.record.events.some((e) => e.type === type);

/** A quick router retry policy for tests. */
export const FAST_RETRY = { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 };
