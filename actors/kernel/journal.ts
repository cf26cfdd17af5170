/**
 * MOE_EVT as the actors' journal. `append` publishes one record with
 * expected-last-subject-sequence: the fence that lets exactly one writer extend an actor's history,
 * however many nodes believe they own it. `readAfter` reads an actor's (or a workspace's) records
 * after a sequence with an ordered consumer — the catch-up path.
 */
import { JetStreamApiCodes, JetStreamApiError, type JetStreamClient } from '@nats-io/jetstream';
import {
  addressKey,
  codec,
  JournalRecord,
  STREAMS,
  eventSubject,
  type ActorAddress,
} from '../../schemas/index.js';

const recordCodec = codec(JournalRecord, 'JournalRecord');
const encoder = new TextEncoder();

export type AppendResult =
  | { readonly ok: true; readonly seq: number }
  /** another writer got there first, or this exact record already exists: catch up and retry */
  | { readonly ok: false; readonly reason: 'fenced' | 'duplicate'; readonly seq?: number };

export class Journal {
  constructor(private readonly js: JetStreamClient) {}

  /**
   * Appends `record` (already serialized as `json`, so the JSONL line can reuse the same bytes)
   * if the actor's last record is still `expectedLastSeq`.
   */
  async append(
    address: ActorAddress,
    record: JournalRecord,
    expectedLastSeq: number,
    json = JSON.stringify(record),
  ): Promise<AppendResult> {
    try {
      const ack = await this.js.publish(eventSubject(address), encoder.encode(json), {
        // Deterministic id: the same command applied at the same turn yields the same bytes.
        msgID: `${addressKey(address)}#${record.turn}#${record.cmd.id}`,
        expect: { lastSubjectSequence: expectedLastSeq },
      });
      if (ack.duplicate) return { ok: false, reason: 'duplicate', seq: ack.seq };
      return { ok: true, seq: ack.seq };
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamWrongLastSequence) {
        return { ok: false, reason: 'fenced' };
      }
      throw err;
    }
  }

  /**
   * Records on `filter` (one actor's subject, or a workspace wildcard) with sequence > `afterSeq`,
   * in order, up to the end of the stream as it is now.
   */
  async *readAfter(filter: string, afterSeq: number): AsyncGenerator<{ seq: number; record: JournalRecord }> {
    const consumer = await this.js.consumers.get(STREAMS.events, {
      filter_subjects: filter,
      deliver_policy: 'by_start_sequence' as never,
      opt_start_seq: afterSeq + 1,
    });
    const info = await consumer.info(true);
    let pending = info.num_pending;
    while (pending > 0) {
      const batch = await consumer.fetch({ max_messages: Math.min(pending, 1000), expires: 2000 });
      let got = 0;
      for await (const m of batch) {
        got++;
        pending = m.info.pending;
        yield { seq: m.seq, record: recordCodec.decode(m.data) };
        if (pending === 0) break;
      }
      if (got === 0) break;
    }
    await consumer.delete().catch(() => undefined);
  }
}

export { recordCodec };
