/**
 * MOE_EVT as the actors' journal. `append` publishes one entry (one or more turns) with
 * expected-last-subject-sequence: the fence that lets exactly one writer extend an actor's history,
 * however many nodes believe they own it. `readAfter` reads an actor's (or a workspace's) entries
 * after a sequence up to the end (the catch-up path), with the one journal reader (journalReader.ts).
 */
import { JetStreamApiCodes, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { addressKey, eventSubject, type ActorAddress, type JournalEntry } from '../../schemas/index.js';
import { JetStreamAppender, JetStreamPublishError } from './jetStreamAppender.js';
import { readJournal, type JournalEntryAt } from './journalReader.js';
const encoder = new TextEncoder();

export type AppendResult =
  | { readonly ok: true; readonly seq: number }
  /** another writer got there first, or this exact record already exists: catch up and retry */
  | { readonly ok: false; readonly reason: 'fenced' | 'duplicate'; readonly seq?: number };

/**
 * The `Nats-Msg-Id` of a journal entry: the actor, the entry's first turn and the sequence of the
 * entry it extends. On a clustered stream nats-server 2.9 checks the expected last subject sequence
 * only at the leader before the proposal (nats-server #4320), so two appends expecting the same
 * predecessor can both pass it; the message id is checked again when each entry is applied, in log
 * order, on every replica. With this id the second of two such appends is answered `duplicate`,
 * whatever command it carries, and an actor keeps one history (test/cluster/journal.fence).
 */
export function entryMsgId(address: ActorAddress, turn: number, expectedLastSeq: number): string {
  return `${addressKey(address)}#${turn}@${expectedLastSeq}`;
}

export class Journal {
  private readonly appender: JetStreamAppender;

  constructor(
    private readonly js: JetStreamClient,
    nc: NatsConnection,
  ) {
    this.appender = new JetStreamAppender(nc);
  }

  close(): void {
    this.appender.close();
  }

  /**
   * Appends `entry` (already serialized as `json`, so the JSONL line can reuse the same bytes)
   * if the actor's last entry is still `expectedLastSeq`.
   */
  async append(
    address: ActorAddress,
    entry: JournalEntry,
    expectedLastSeq: number,
    json = JSON.stringify(entry),
    /** the W3C trace context of the append (traced: readers of MOE_EVT can join the trace) */
    trace?: Readonly<Record<string, string>>,
  ): Promise<AppendResult> {
    const first = entry.turns[0]!;
    try {
      const ack = await this.appender.publish(eventSubject(address), encoder.encode(json), {
        // The id names the place in the history, not the command: two writers extending the same
        // entry send the same id, and the second is a duplicate (see entryMsgId).
        msgID: entryMsgId(address, first.turn, expectedLastSeq),
        expectedLastSubjectSequence: expectedLastSeq,
        ...(trace ? { headers: trace } : {}),
      });
      if (ack.duplicate) return { ok: false, reason: 'duplicate', seq: ack.seq };
      return { ok: true, seq: ack.seq };
    } catch (err) {
      if (err instanceof JetStreamPublishError && err.errCode === JetStreamApiCodes.StreamWrongLastSequence) {
        return { ok: false, reason: 'fenced' };
      }
      throw err;
    }
  }

  /** Entries on `filter` after `afterSeq` (see {@link readJournal}): the catch-up path. */
  readAfter(filter: string, afterSeq: number): AsyncGenerator<JournalEntryAt> {
    return readJournal(this.js, filter, afterSeq);
  }
}
