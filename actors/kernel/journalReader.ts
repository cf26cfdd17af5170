/**
 * The one way to read the journal (MOE_EVT). A {@link JournalReader} reads the entries on one
 * filter subject (an actor's subject or a wildcard: nats-server 2.9 has one filter per consumer)
 * from a start — after sequence N, or only what is appended from now on — either up to the end of
 * the stream (`follow: false`, the catch-up path) or live until closed (`follow: true`).
 * `entries()` yields the stored messages; `turns()` splits each into the turns it carries (group
 * commit stores 1..64 turns per message, see groupCommit.ts / turnBatch.ts) and marks the last;
 * `sequences()` yields only the sequences (with `headersOnly`, the server sends no bodies: how the
 * journal purge finds the tail it keeps, journalPurge.ts).
 *
 * It reads with an ordered consumer (in order, no gaps, no duplicates) and remembers the last
 * sequence it delivered. A following reader whose consumer is lost (deleted on the server, its
 * heartbeats missed, its iterator failed) opens a new consumer right after that sequence: on
 * nats-server 2.9.10 the client's own ordered-consumer reset never recovers from a consumer deleted
 * server-side. Iterating to the end, stopping early or `close()` deletes the consumer, so no reader
 * leaves one behind (the client would keep an abandoned one for its 5-minute inactivity threshold).
 * A reader is read once: one `entries()` or `turns()` per reader.
 *
 * `lastJournalEntry` reads the latest entry of one subject without a consumer, `firstJournalEntry`
 * the oldest one still held (after a per-subject purge of MOE_EVT, the first that survived it).
 */
import {
  DeliverPolicy,
  type Consumer,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import {
  journalCodec,
  STREAMS,
  turnsOf,
  type AnyJournalEntry,
  type JournalRecord,
} from '../../schemas/index.js';
import { watchLiveness, type Liveness } from './consumerLiveness.js';

/** `afterSeq`: the entries with a higher sequence (0: from the first); `now`: only entries appended after opening. */
export type JournalStart = { readonly afterSeq: number } | { readonly from: 'now' };

export interface JournalReaderOptions {
  /** a subject filter on MOE_EVT: `eventSubject(address)`, or a wildcard such as `moe.evt.*.*.agent.*` */
  readonly filter: string;
  readonly start: JournalStart;
  /** true: keep reading new entries until closed; false: stop at the end of the stream */
  readonly follow: boolean;
  /** An entry that does not decode is skipped after this call; without it, reading throws the SchemaError. */
  readonly onUnreadable?: (err: unknown, seq: number) => void;
  /** A following reader lost its consumer (or could not open one) and is about to try again. */
  readonly onRetry?: (err: unknown) => void;
  /** the consumer's idle heartbeat: how soon a lost consumer is noticed (two missed); default 2 s */
  readonly heartbeatMs?: number;
  /** the server sends headers only, no bodies: for {@link JournalReader.sequences} */
  readonly headersOnly?: boolean;
  /**
   * Entries on a subject this returns true for are passed over undecoded (the cursor still moves
   * past them): a reader of a wildcard that wants only some actors' entries saves their decode.
   */
  readonly skip?: (subject: string) => boolean;
  /**
   * A background reader (a projection): once caught up, it lets pending I/O run before it decodes
   * each new entry, so the process's request-path work on the same entry (the gateway's
   * acceptance follower and the HTTP answer it releases) goes first. Catching up is not slowed.
   */
  readonly background?: boolean;
}

/** Resolves after the I/O callbacks already due have run. */
const afterPendingIo = () => new Promise<void>((resolve) => setImmediate(resolve));

/** One stored journal message and its MOE_EVT sequence. */
export interface JournalEntryAt {
  readonly seq: number;
  readonly entry: AnyJournalEntry;
}

/** One turn, with the MOE_EVT sequence of the entry that carries it (turns of an entry share it). */
export interface JournalTurnAt {
  readonly seq: number;
  readonly rec: JournalRecord;
  /** the last turn of its entry: resuming after `seq` cannot repeat this turn */
  readonly endsEntry: boolean;
}

/** How long closing a consumer's message iterator may take before it is abandoned (and deleted). */
const CLOSE_BOUND_MS = 2000;
/** Pause before a following reader opens a new consumer: after an end, after a failure. */
const REOPEN_MS = 200;
const RETRY_MS = 500;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * @example
 *   const reader = new JournalReader(js, { filter: eventSubject(addr), start: { afterSeq: 0 }, follow: false });
 *   for await (const { seq, rec } of reader.turns()) console.log(seq, rec.turn);
 */
export class JournalReader {
  private consumer: Consumer | undefined;
  private messages: ConsumerMessages | undefined;
  private closing: Promise<void> | undefined;
  private closed = false;
  /** resume after this sequence; undefined until known for a `now` start */
  private cursor: number | undefined;
  private delivered = 0;
  private isCaughtUp = false;
  private readonly caughtUpWaiters: (() => void)[] = [];
  /** why the current consumer was given up (set by the status watch) */
  private lost: Error | undefined;

  constructor(
    private readonly js: JetStreamClient,
    private readonly opts: JournalReaderOptions,
  ) {
    if ('afterSeq' in opts.start) this.cursor = opts.start.afterSeq;
  }

  /** The sequence of the last entry read (0: none yet). */
  get lastSeq(): number {
    return this.delivered;
  }

  /** True once the entries present when reading started have been read. */
  get caughtUp(): boolean {
    return this.isCaughtUp;
  }

  /** Resolves once caught up, closed, or after `maxWaitMs`. */
  whenCaughtUp(maxWaitMs: number): Promise<void> {
    if (this.isCaughtUp || this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, maxWaitMs);
      this.caughtUpWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Creates the consumer now, so a caller learns at once that the journal cannot be read (NATS
   * down, no stream). Optional: reading opens it too (a following reader retrying until it can).
   */
  async open(): Promise<void> {
    if (!this.consumer) await this.openConsumer();
  }

  /** Stops reading and deletes the consumer on the server; iteration ends. Idempotent. */
  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  /** The stored messages in order, each decoded (see {@link JournalReaderOptions.onUnreadable}). */
  async *entries(): AsyncGenerator<JournalEntryAt> {
    const { skip, background } = this.opts;
    for await (const { seq, subject, data } of this.stored()) {
      if (skip?.(subject)) continue;
      if (background && this.isCaughtUp) await afterPendingIo();
      const entry = this.decode(seq, data);
      if (entry) yield { seq, entry };
    }
  }

  /** The sequences of the stored messages in order, nothing decoded. */
  async *sequences(): AsyncGenerator<number> {
    for await (const { seq } of this.stored()) yield seq;
  }

  private async *stored(): AsyncGenerator<{ seq: number; subject: string; data: Uint8Array }> {
    try {
      while (!this.closed) {
        let failure: unknown;
        try {
          if (!this.consumer) await this.openConsumer();
          if (this.closed) return;
          if (!this.opts.follow && this.isCaughtUp) return;
          const messages = await this.consumer!.consume({
            max_messages: this.opts.follow ? 256 : 1000,
            idle_heartbeat: this.opts.heartbeatMs ?? 2000,
          });
          this.messages = messages;
          if (this.closed) return;
          const liveness = this.watchForLoss(messages);
          for await (const m of messages) {
            liveness.alive();
            this.cursor = this.delivered = m.seq;
            yield { seq: m.seq, subject: m.subject, data: m.data };
            if (m.info.pending === 0) {
              this.markCaughtUp();
              if (!this.opts.follow) return;
            }
          }
        } catch (err) {
          failure = err;
          if (err instanceof Error && err.name === 'SchemaError') throw err;
        }
        if (this.closed) return;
        failure ??= this.lost ?? new Error(`journal read of ${this.opts.filter} ended early`);
        if (!this.opts.follow) throw failure;
        this.opts.onRetry?.(failure);
        await this.dropConsumer();
        await sleep(this.lost ? REOPEN_MS : RETRY_MS);
        this.lost = undefined;
      }
    } finally {
      await this.close();
    }
  }

  /** Every turn of every entry, in order (see {@link JournalTurnAt.endsEntry}). */
  async *turns(): AsyncGenerator<JournalTurnAt> {
    for await (const { seq, entry } of this.entries()) {
      const turns = turnsOf(entry);
      for (let i = 0; i < turns.length; i++) yield { seq, rec: turns[i]!, endsEntry: i === turns.length - 1 };
    }
  }

  private decode(seq: number, data: Uint8Array): AnyJournalEntry | undefined {
    if (!this.opts.onUnreadable) return journalCodec.decode(data);
    try {
      return journalCodec.decode(data);
    } catch (err) {
      this.opts.onUnreadable(err, seq);
      return undefined;
    }
  }

  private startOptions() {
    if (this.cursor === undefined) return { deliver_policy: DeliverPolicy.New };
    if (this.cursor === 0) return { deliver_policy: DeliverPolicy.All };
    return { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.cursor + 1 };
  }

  private async openConsumer(): Promise<void> {
    const consumer = await this.js.consumers.get(STREAMS.events, {
      filter_subjects: this.opts.filter,
      ...this.startOptions(),
      ...(this.opts.headersOnly ? { headers_only: true } : {}),
    });
    if (this.closed) {
      await consumer.delete().catch(() => undefined);
      return;
    }
    this.consumer = consumer;
    const info = await consumer.info(true);
    // a `now` reader resumes after what was in the stream when it opened
    this.cursor ??= info.delivered.stream_seq;
    if (info.num_pending === 0) this.markCaughtUp();
  }

  /**
   * Ends the current iteration when the server has lost the consumer, so {@link entries} opens a
   * new one after the last sequence read (the client's own reset does not recover on 2.9.10).
   * A following reader also gives up a consumer it hears nothing from (no entry, heartbeat or
   * status) for three heartbeats: in a cluster, the server holding it, or the one the client was
   * connected to, may have died (consumerLiveness.ts).
   */
  private watchForLoss(messages: ConsumerMessages): Liveness {
    const heartbeatMs = this.opts.heartbeatMs ?? 2000;
    const liveness = this.opts.follow
      ? watchLiveness(
          messages,
          (silentMs) => {
            if (this.closed) return;
            this.lost = new Error(`journal consumer for ${this.opts.filter} silent for ${silentMs} ms`);
            messages.stop();
          },
          3 * heartbeatMs,
        )
      : { alive: () => undefined, stop: () => undefined };
    void (async () => {
      for await (const s of messages.status()) {
        const gone =
          s.type === 'consumer_deleted' ||
          s.type === 'consumer_not_found' ||
          (s.type === 'heartbeats_missed' && s.count >= 2);
        if (gone && !this.closed) {
          this.lost = new Error(`journal consumer for ${this.opts.filter} lost (${s.type})`);
          messages.stop();
          return;
        }
      }
    })().catch(() => undefined);
    return liveness;
  }

  private markCaughtUp(): void {
    if (this.isCaughtUp) return;
    this.isCaughtUp = true;
    for (const w of this.caughtUpWaiters.splice(0)) w();
  }

  /** Lets go of the current consumer (a following reader opens a new one). */
  private async dropConsumer(): Promise<void> {
    const { consumer, messages } = this;
    this.consumer = this.messages = undefined;
    messages?.stop();
    await consumer?.delete().catch(() => undefined);
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    for (const w of this.caughtUpWaiters.splice(0)) w();
    const { consumer, messages } = this;
    // close() settles once the iterator is drained, which never happens when nobody iterates
    if (messages)
      await within(
        messages.close().catch(() => undefined),
        CLOSE_BOUND_MS,
      );
    await consumer?.delete().catch(() => undefined);
  }
}

/**
 * Entries on `filter` (one actor's subject, or a workspace wildcard) with sequence > `afterSeq`,
 * in order, up to the end of the stream.
 */
export function readJournal(
  js: JetStreamClient,
  filter: string,
  afterSeq: number,
): AsyncGenerator<JournalEntryAt> {
  return new JournalReader(js, { filter, start: { afterSeq }, follow: false }).entries();
}

/** The latest entry on one subject (an actor's), or null when it has none. */
export async function lastJournalEntry(
  jsm: JetStreamManager,
  subject: string,
): Promise<JournalEntryAt | null> {
  try {
    const m = await jsm.streams.getMessage(STREAMS.events, { last_by_subj: subject });
    return m ? { seq: m.seq, entry: journalCodec.decode(m.data) } : null;
  } catch (err) {
    if (err instanceof Error && /no message found|not found/i.test(err.message)) return null;
    throw err;
  }
}

/**
 * The oldest entry still held on `subject` (an actor's subject or a wildcard) with a sequence of at
 * least `fromSeq`, or null when there is none. A direct get (MOE_EVT allows them), no consumer.
 * After a per-subject purge this is the first entry that survived it: when its first turn is not
 * turn 1, the actor's earlier entries are gone from the journal.
 */
export async function firstJournalEntry(
  jsm: JetStreamManager,
  subject: string,
  fromSeq = 0,
): Promise<JournalEntryAt | null> {
  const m = await jsm.direct.getMessage(STREAMS.events, { seq: fromSeq, next_by_subj: subject });
  return m ? { seq: m.seq, entry: journalCodec.decode(m.data) } : null;
}

/** `p`'s outcome, or undefined when it has not settled after `ms`. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)));
  try {
    return await Promise.race([p, bound]);
  } finally {
    clearTimeout(timer);
  }
}
