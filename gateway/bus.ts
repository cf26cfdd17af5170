/**
 * The gateway's only way into the runtime: publish a command to MOE_CMD, read an actor's last
 * turn, and wait for the turn a command produced. Waiting starts an ordered consumer on the
 * actor's MOE_EVT subject *after* the last entry seen before publishing, so the answer can only be
 * the turn of this command (or a later one, scanned until the command id matches). With
 * `replay: true` (an Idempotency-Key) it reads the actor's entries from the start instead, so a
 * command applied by an earlier request is found and answered again: command ids are deduped by
 * JetStream's duplicate window and, forever, per actor by the kernel, so nothing runs twice.
 * While waiting it also listens on the workspace's dead-letter subject: a command the kernel
 * refuses (unknown type, bad data) answers at once instead of timing out.
 *
 * Every request gets an answer within a bound: the envelope is encoded and size-checked before
 * anything is subscribed (400 / 413, see commandSize.ts), a NATS link that is down answers 503 at
 * once, and the ordered consumer is closed with a bound and deleted on the server, so no request
 * leaves a consumer behind on MOE_EVT.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import {
  DeliverPolicy,
  jetstream,
  type Consumer,
  type ConsumerMessages,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { kernelErrors } from '../actors/index.js';
import {
  codec,
  commandMsgId,
  commandSubject,
  DeadLetter,
  deadLetterSubject,
  decodeTurns,
  eventSubject,
  STREAMS,
  type JournalRecord,
  type ActorAddress,
  type CommandEnvelope,
} from '../schemas/index.js';
import { encodeCommand } from './commandSize.js';
import { errors } from './errors.js';
import { natsUnavailable, watchNatsLink, type NatsLink } from './natsLink.js';

const deadLetterCodec = codec(DeadLetter, 'DeadLetter');
/** How long closing a consumer's message iterator may take before it is abandoned (and deleted). */
const CLOSE_BOUND_MS = 2000;

/**
 * Stops reading `messages` and deletes `consumer` on the server. `close()` settles only once the
 * iterator has been drained, which never happens when nobody iterates, so it is awaited with a
 * bound; the delete is what guarantees the ordered consumer does not linger (the client gives
 * them a 5-minute inactivity threshold).
 */
export async function closeConsumer(consumer: Consumer, messages: ConsumerMessages): Promise<void> {
  await within(
    messages.close().catch(() => undefined),
    CLOSE_BOUND_MS,
  );
  await consumer.delete().catch(() => undefined);
}

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

/** The turns of one MOE_EVT message, each with the message's sequence. */
export function seqRecords(seq: number, data: Uint8Array): SeqRecord[] {
  return decodeTurns(data).map((rec) => ({ seq, rec }));
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
  /** Publishes a command and resolves with the turn that applied it. */
  request(
    addr: ActorAddress,
    type: string,
    data: Record<string, unknown>,
    opts: { id: string; session?: string; timeoutMs?: number; replay?: boolean },
  ): Promise<SeqRecord>;
}

/** The dead letter of command `id`, if `payload` is one (its envelope carries the command id). */
function deadLetterOf(payload: Uint8Array, id: string): DeadLetter | null {
  try {
    const letter = deadLetterCodec.decode(payload);
    const env = JSON.parse(letter.payload) as { id?: unknown };
    return env.id === id ? letter : null;
  } catch {
    return null;
  }
}

/** What a dead-lettered command means for the HTTP caller. */
function refused(type: string, letter: DeadLetter) {
  const detail = `${type}: ${letter.reason}`;
  return letter.code === kernelErrors.UNKNOWN_COMMAND.spec.code ||
    letter.code === kernelErrors.UNKNOWN_KIND.spec.code
    ? errors.NOT_SUPPORTED(detail)
    : errors.COMMAND_REFUSED(detail);
}

export async function createBus(nc: NatsConnection, defaultTimeoutMs: number): Promise<Bus> {
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const link = watchNatsLink(nc);

  const encode = (type: string, data: Record<string, unknown>, opts: { id: string; session?: string }) => {
    const env: CommandEnvelope = {
      id: opts.id,
      type,
      data,
      ...(opts.session ? { session: opts.session } : {}),
    };
    return encodeCommand(nc, env);
  };

  const publishBytes = async (addr: ActorAddress, id: string, bytes: Uint8Array) => {
    link.assertUp('publish');
    try {
      await js.publish(commandSubject(addr), bytes, { msgID: commandMsgId(addr, id) });
    } catch (cause) {
      throw natsUnavailable('publish failed', cause);
    }
  };

  const publish: Bus['publish'] = async (addr, type, data, opts) => {
    await publishBytes(addr, opts.id, encode(type, data, opts));
  };

  const lastRecord: Bus['lastRecord'] = async (addr) => {
    link.assertUp('journal read');
    try {
      const m = await jsm.streams.getMessage(STREAMS.events, { last_by_subj: eventSubject(addr) });
      return m ? (seqRecords(m.seq, m.data).pop() ?? null) : null;
    } catch (cause) {
      if (cause instanceof Error && /no message found|not found/i.test(cause.message)) return null;
      throw natsUnavailable('journal read failed', cause);
    }
  };

  /** An ordered consumer on one actor's subject, or 503 when NATS does not answer. */
  const follow = async (subject: string, afterSeq: number | null) => {
    link.assertUp('journal read');
    try {
      const consumer = await js.consumers.get(STREAMS.events, {
        filter_subjects: subject,
        ...(afterSeq !== null
          ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: afterSeq + 1 }
          : {}),
      });
      return { consumer, messages: await consumer.consume() };
    } catch (cause) {
      throw natsUnavailable('journal read failed', cause);
    }
  };

  const request: Bus['request'] = async (addr, type, data, opts) => {
    // encode first: a body that cannot be sent is answered before anything is subscribed
    const bytes = encode(type, data, opts);
    const before = opts.replay ? null : await lastRecord(addr);
    const { consumer, messages } = await follow(eventSubject(addr), before ? before.seq : null);
    const dead: { letter: DeadLetter | null } = { letter: null };
    const dlq = nc.subscribe(deadLetterSubject(addr.org, addr.ws), {
      callback: (err, m) => {
        if (err || dead.letter) return;
        dead.letter = deadLetterOf(m.data, opts.id);
        if (dead.letter) void messages.close();
      },
    });
    const timeoutMs = opts.timeoutMs ?? defaultTimeoutMs;
    const timer = setTimeout(() => void messages.close(), timeoutMs);
    try {
      // the DLQ subscription must reach the server before the command can be refused
      if ((await within(nc.flush(), timeoutMs)) === timedOut) throw natsUnavailable('NATS did not answer');
      await publishBytes(addr, opts.id, bytes);
      for await (const m of messages) {
        const hit = seqRecords(m.seq, m.data).find((r) => r.rec.cmd.id === opts.id);
        if (hit) return hit;
      }
      if (dead.letter) throw refused(type, dead.letter);
      throw errors.TIMEOUT(`${type} to ${addr.kind} ${addr.id}`);
    } finally {
      clearTimeout(timer);
      dlq.unsubscribe();
      await closeConsumer(consumer, messages);
    }
  };

  const records: Bus['records'] = async (addr) => {
    const last = await lastRecord(addr);
    if (!last) return [];
    const { consumer, messages } = await follow(eventSubject(addr), null);
    const timer = setTimeout(() => void messages.close(), defaultTimeoutMs);
    const out: SeqRecord[] = [];
    try {
      for await (const m of messages) {
        out.push(...seqRecords(m.seq, m.data));
        if (m.seq >= last.seq) break;
      }
    } finally {
      clearTimeout(timer);
      await closeConsumer(consumer, messages);
    }
    return out;
  };

  return { nc, js, jsm, link, publish, lastRecord, records, request };
}

/** The `command.rejected` event of a turn, when the machine could not accept the command. */
export function rejection(rec: JournalRecord): string | null {
  const ev = rec.events.find((e) => e.type === 'command.rejected');
  if (!ev) return null;
  const reason = (ev as { reason?: unknown }).reason;
  return typeof reason === 'string' ? reason : 'rejected';
}
