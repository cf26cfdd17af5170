/**
 * Follows part of the journal (MOE_EVT, one filter subject — nats-server 2.9 has no multi-filter
 * consumers) from the start, or after the sequence a projection snapshot covers, with the kernel's
 * journal reader, handing every turn to a fold. The reader resumes after the last entry read when
 * its consumer is lost, so a fold sees each turn once and in order. `caughtUp` turns true once the
 * records present at start are applied: the gateway's in-memory projections (tenancy, usage) are
 * rebuilt this way at every start (usage from its snapshot, see snapshotStore.ts), which keeps the
 * gateway stateless.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import type { FastifyBaseLogger } from 'fastify';
import { JournalReader } from '../actors/kernel/index.js';
import type { JournalRecord } from '../schemas/index.js';

export interface JournalFollower {
  readonly caughtUp: boolean;
  readonly lastSeq: number;
  /** resolves once caught up, or after `maxWaitMs` */
  started(maxWaitMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * @example
 *   const f = followJournal(js, 'moe.evt.*.*.agent.*', (seq, rec) => fold(rec), log, snapshotSeq);
 *   await f.started();
 */
export function followJournal(
  js: JetStreamClient,
  filter: string,
  onRecord: (seq: number, rec: JournalRecord, endsEntry: boolean) => void,
  log: FastifyBaseLogger,
  afterSeq = 0,
): JournalFollower {
  const reader = new JournalReader(js, {
    filter,
    start: { afterSeq },
    follow: true,
    // a projection: requests waiting on the same entries go first (journalReader.ts)
    background: true,
    onUnreadable: (err, seq) =>
      log.warn({ err, seq, filter }, 'journal follower skipped an unreadable record'),
    onRetry: (err) => log.debug({ err, filter }, 'journal follower not ready; retrying'),
  });
  const run = async () => {
    for await (const { seq, rec, endsEntry } of reader.turns()) {
      try {
        onRecord(seq, rec, endsEntry);
      } catch (err) {
        log.warn({ err, seq, filter }, 'journal follower skipped an unreadable record');
      }
    }
  };
  void run().catch((err: unknown) => log.error({ err, filter }, 'journal follower stopped'));

  return {
    get caughtUp() {
      return reader.caughtUp;
    },
    get lastSeq() {
      return reader.lastSeq;
    },
    started: (maxWaitMs = 10_000) => reader.whenCaughtUp(maxWaitMs),
    stop: () => reader.close(),
  };
}
