/**
 * Follows part of the journal (MOE_EVT, one filter subject — nats-server 2.9 has no multi-filter
 * consumers) with an ordered consumer from the start, handing every record to a fold. Recreated
 * after errors from the sequence after the last one applied, so a fold sees each record once and
 * in order. `caughtUp` turns true once the records present at start are applied: the gateway's
 * in-memory projections are rebuilt this way at every start, which keeps the gateway stateless.
 */
import { DeliverPolicy, type ConsumerMessages, type JetStreamClient } from '@nats-io/jetstream';
import type { FastifyBaseLogger } from 'fastify';
import { decodeTurns, STREAMS, type JournalRecord } from '../schemas/index.js';

export interface JournalFollower {
  readonly caughtUp: boolean;
  readonly lastSeq: number;
  /** resolves once caught up, or after `maxWaitMs` */
  started(maxWaitMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * @example
 *   const f = followJournal(js, 'moe.evt.*.*.agent.*', (seq, rec) => fold(rec), log);
 *   await f.started();
 */
export function followJournal(
  js: JetStreamClient,
  filter: string,
  onRecord: (seq: number, rec: JournalRecord) => void,
  log: FastifyBaseLogger,
): JournalFollower {
  let stopped = false;
  let caughtUp = false;
  let lastSeq = 0;
  let messages: ConsumerMessages | null = null;

  const run = async () => {
    while (!stopped) {
      try {
        const consumer = await js.consumers.get(STREAMS.events, {
          filter_subjects: filter,
          ...(lastSeq > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: lastSeq + 1 } : {}),
        });
        if ((await consumer.info(true)).num_pending === 0) caughtUp = true;
        messages = await consumer.consume();
        if (stopped) await messages.close();
        for await (const m of messages) {
          lastSeq = m.seq;
          try {
            for (const rec of decodeTurns(m.data)) onRecord(m.seq, rec);
          } catch (err) {
            log.warn({ err, seq: m.seq, filter }, 'journal follower skipped an unreadable record');
          }
          if (m.info.pending === 0) caughtUp = true;
        }
        if (!stopped) await new Promise((r) => setTimeout(r, 200));
      } catch (err) {
        if (stopped) return;
        log.debug({ err, filter }, 'journal follower not ready; retrying');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };
  void run();

  return {
    get caughtUp() {
      return caughtUp;
    },
    get lastSeq() {
      return lastSeq;
    },
    async started(maxWaitMs = 10_000) {
      const deadline = Date.now() + maxWaitMs;
      while (!caughtUp && !stopped && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    },
    async stop() {
      stopped = true;
      await messages?.close();
    },
  };
}
