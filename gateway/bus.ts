/**
 * The gateway's only way into the runtime: publish a command to MOE_CMD, read an actor's last
 * turn, and wait for the turn a command produced. A request registers its command id with the
 * gateway's one shared acceptance follower (acceptance.ts) and publishes: that is the only NATS
 * round trip on its path, and the follower hands it the turn that applied the command, or the
 * command's dead letter when the kernel refused it (unknown type, bad data: answered at once
 * instead of timing out). With `replay: true` (an Idempotency-Key) the command may have been
 * applied by an earlier request, whose turn the follower never sees: such a request also reads the
 * actor's entries from the start, so the earlier turn is found and answered again — command ids
 * are deduped by JetStream's duplicate window and, forever, per actor by the kernel, so nothing
 * runs twice.
 *
 * Every request gets an answer within a bound: the envelope is checked against its schema, encoded
 * and size-checked before anything is published (400 / 413, see commandSize.ts), a NATS link that
 * is down answers 503 at once, a wait ends with 504 after the timeout, and a journal reader (replay
 * only) is closed with a bound and its consumer deleted on the server, so no request leaves a
 * consumer behind on MOE_EVT. Commands go out with the kernel's `publishCommand` (through one
 * `streamPublisher`: a reply subscription for all PubAcks, no request per command) and the journal
 * is read with its `JournalReader`, like every other publisher and reader.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { FastifyBaseLogger } from 'fastify';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import {
  JournalReader,
  kernelErrors,
  lastJournalEntry,
  publishCommand,
  streamPublisher,
  type EncodedCommand,
  type JournalStart,
} from '../actors/kernel/index.js';
import {
  eventSubject,
  turnsOf,
  type DeadLetter,
  findEvent,
  type JournalRecord,
  type ActorAddress,
  type CommandEnvelope,
} from '../schemas/index.js';
import { startAcceptance, type Accepted } from './acceptance.js';
import { encodeCommand } from './commandSize.js';
import { errors } from './errors.js';
import { natsUnavailable, watchNatsLink, type NatsLink } from './natsLink.js';

const timedOut = Symbol('timedOut');

/** `p`'s outcome, or `timedOut` when it has not settled after `ms`. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | typeof timedOut> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<typeof timedOut>((r) => (timer = setTimeout(() => r(timedOut), ms)));
  try {
    return await Promise.race([p, bound]);
  } finally {
    clearTimeout(timer);
  }
}

/** One turn and the MOE_EVT sequence of the entry that carries it (turns of an entry share it). */
export interface SeqRecord {
  readonly seq: number;
  readonly rec: JournalRecord;
}

export interface Bus {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** whether NATS is reachable right now */
  readonly link: NatsLink;
  publish(
    addr: ActorAddress,
    type: string,
    data: Record<string, unknown>,
    opts: { id: string; session?: string },
  ): Promise<void>;
  /** The actor's latest turn. */
  lastRecord(addr: ActorAddress): Promise<SeqRecord | null>;
  /** Every turn of one actor, oldest first (for short-lived actors: agents, sessions). */
  records(addr: ActorAddress): Promise<SeqRecord[]>;
  /**
   * Waits for the first turn of the actor that `match`es, reading its journal from the start (for
   * short-lived actors: a task's agent after its session forwarded the task to it).
   */
  awaitTurn(
    addr: ActorAddress,
    match: (rec: JournalRecord) => boolean,
    timeoutMs?: number,
  ): Promise<SeqRecord>;
  /** Publishes a command and resolves with the turn that applied it. */
  request(
    addr: ActorAddress,
    type: string,
    data: Record<string, unknown>,
    opts: { id: string; session?: string; timeoutMs?: number; replay?: boolean },
  ): Promise<SeqRecord>;
  /** Stops the shared acceptance follower (the gateway closes it). */
  close(): Promise<void>;
}

/** What a dead-lettered command means for the HTTP caller. */
function refused(type: string, letter: DeadLetter) {
  const detail = `${type}: ${letter.reason}`;
  if (letter.code === kernelErrors.ACTOR_STOPPED.spec.code) return errors.ACTOR_STOPPED(detail);
  return letter.code === kernelErrors.UNKNOWN_COMMAND.spec.code ||
    letter.code === kernelErrors.UNKNOWN_KIND.spec.code
    ? errors.NOT_SUPPORTED(detail)
    : errors.COMMAND_REFUSED(detail);
}

export async function createBus(
  nc: NatsConnection,
  defaultTimeoutMs: number,
  log: FastifyBaseLogger,
): Promise<Bus> {
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const link = watchNatsLink(nc);
  const acceptance = await startAcceptance(nc, js, log);
  const publisher = streamPublisher(nc);

  const encode = (
    type: string,
    data: Record<string, unknown>,
    opts: { id: string; session?: string },
  ): EncodedCommand => {
    const env: CommandEnvelope = {
      id: opts.id,
      type,
      data,
      ...(opts.session ? { session: opts.session } : {}),
    };
    return encodeCommand(nc, env);
  };

  const publishEncoded = async (addr: ActorAddress, command: EncodedCommand) => {
    link.assertUp('publish');
    try {
      await publishCommand(publisher, addr, command);
    } catch (cause) {
      throw natsUnavailable('publish failed', cause);
    }
  };

  const publish: Bus['publish'] = async (addr, type, data, opts) => {
    await publishEncoded(addr, encode(type, data, opts));
  };

  const lastRecord: Bus['lastRecord'] = async (addr) => {
    link.assertUp('journal read');
    let last;
    try {
      last = await lastJournalEntry(jsm, eventSubject(addr));
    } catch (cause) {
      throw natsUnavailable('journal read failed', cause);
    }
    const rec = last ? turnsOf(last.entry).pop() : undefined;
    return last && rec ? { seq: last.seq, rec } : null;
  };

  /** A reader of one actor's journal with its consumer open, or 503 when NATS does not answer. */
  const follow = async (subject: string, start: JournalStart, follow: boolean) => {
    link.assertUp('journal read');
    const reader = new JournalReader(js, { filter: subject, start, follow });
    try {
      await reader.open();
    } catch (cause) {
      throw natsUnavailable('journal read failed', cause);
    }
    return reader;
  };

  /**
   * The turn of the actor that applied command `id`, read from its first entry (for replays);
   * null once `stop` was called, which closes the reader whether or not it has opened yet.
   */
  const scan = async (addr: ActorAddress, id: string, stop: { requested: boolean; close?: () => void }) => {
    const reader = await follow(eventSubject(addr), { afterSeq: 0 }, true);
    stop.close = () => void reader.close();
    if (stop.requested) stop.close();
    try {
      for await (const { seq, rec } of reader.turns()) if (rec.cmd.id === id) return { seq, rec } as Accepted;
      return null;
    } finally {
      await reader.close();
    }
  };

  const request: Bus['request'] = async (addr, type, data, opts) => {
    // encode first: a body that cannot be sent is answered before anything is awaited
    const command = encode(type, data, opts);
    link.assertUp('publish');
    const pending = acceptance.expect(addr, opts.id);
    const replay: { requested: boolean; close?: () => void } = { requested: false };
    try {
      const outcomes: Promise<Accepted | null>[] = [pending.outcome];
      if (opts.replay) {
        const earlier = scan(addr, opts.id, replay);
        earlier.catch(() => undefined);
        outcomes.push(earlier);
      }
      await publishEncoded(addr, command);
      const settled = await within(
        Promise.race(outcomes).then((o) => o ?? pending.outcome),
        opts.timeoutMs ?? defaultTimeoutMs,
      );
      if (settled === timedOut) throw errors.TIMEOUT(`${type} to ${addr.kind} ${addr.id}`);
      if ('deadLetter' in settled) throw refused(type, settled.deadLetter);
      return settled;
    } finally {
      pending.cancel();
      replay.requested = true;
      replay.close?.();
    }
  };

  const awaitTurn: Bus['awaitTurn'] = async (addr, match, timeoutMs = defaultTimeoutMs) => {
    const reader = await follow(eventSubject(addr), { afterSeq: 0 }, true);
    const timer = setTimeout(() => void reader.close(), timeoutMs);
    try {
      for await (const { seq, rec } of reader.turns()) if (match(rec)) return { seq, rec };
      throw errors.TIMEOUT(`${addr.kind} ${addr.id}`);
    } finally {
      clearTimeout(timer);
      await reader.close();
    }
  };

  const records: Bus['records'] = async (addr) => {
    const last = await lastRecord(addr);
    if (!last) return [];
    const reader = await follow(eventSubject(addr), { afterSeq: 0 }, false);
    const timer = setTimeout(() => void reader.close(), defaultTimeoutMs);
    const out: SeqRecord[] = [];
    try {
      for await (const { seq, rec, endsEntry } of reader.turns()) {
        out.push({ seq, rec });
        if (seq >= last.seq && endsEntry) break;
      }
    } finally {
      clearTimeout(timer);
      await reader.close();
    }
    return out;
  };

  return {
    nc,
    js,
    jsm,
    link,
    publish,
    lastRecord,
    records,
    request,
    awaitTurn,
    close: async () => {
      publisher.close();
      await acceptance.stop();
    },
  };
}

/** The `command.rejected` event of a turn, when the machine could not accept the command. */
export function rejection(rec: JournalRecord): string | null {
  const ev = findEvent(rec.events, 'command.rejected');
  return ev ? ev.reason : null;
}
