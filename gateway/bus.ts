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
 */
import type { NatsConnection } from '@nats-io/transport-node';
import {
  DeliverPolicy,
  jetstream,
  type ConsumerMessages,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
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
import { errors } from './errors.js';

const deadLetterCodec = codec(DeadLetter, 'DeadLetter');
const envelopeCodec = { encode: (e: CommandEnvelope) => new TextEncoder().encode(JSON.stringify(e)) };

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
  return letter.code === 'MOE_ERR_UNKNOWN_COMMAND' || letter.code === 'MOE_ERR_UNKNOWN_KIND'
    ? errors.NOT_SUPPORTED(detail)
    : errors.COMMAND_REFUSED(detail);
}

export async function createBus(nc: NatsConnection, defaultTimeoutMs: number): Promise<Bus> {
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);

  const publish: Bus['publish'] = async (addr, type, data, opts) => {
    const env: CommandEnvelope = {
      id: opts.id,
      type,
      data,
      ...(opts.session ? { session: opts.session } : {}),
    };
    try {
      await js.publish(commandSubject(addr), envelopeCodec.encode(env), {
        msgID: commandMsgId(addr, opts.id),
      });
    } catch (cause) {
      throw errors.NATS_UNAVAILABLE('publish failed', { cause });
    }
  };

  const lastRecord: Bus['lastRecord'] = async (addr) => {
    try {
      const m = await jsm.streams.getMessage(STREAMS.events, { last_by_subj: eventSubject(addr) });
      return m ? (seqRecords(m.seq, m.data).pop() ?? null) : null;
    } catch (cause) {
      if (cause instanceof Error && /no message found|not found/i.test(cause.message)) return null;
      throw errors.NATS_UNAVAILABLE('journal read failed', { cause });
    }
  };

  const request: Bus['request'] = async (addr, type, data, opts) => {
    const before = opts.replay ? null : await lastRecord(addr);
    const consumer = await js.consumers.get(STREAMS.events, {
      filter_subjects: eventSubject(addr),
      ...(before ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: before.seq + 1 } : {}),
    });
    const messages: ConsumerMessages = await consumer.consume();
    const dead: { letter: DeadLetter | null } = { letter: null };
    const dlq = nc.subscribe(deadLetterSubject(addr.org, addr.ws), {
      callback: (err, m) => {
        if (err || dead.letter) return;
        dead.letter = deadLetterOf(m.data, opts.id);
        if (dead.letter) void messages.close();
      },
    });
    const timer = setTimeout(() => void messages.close(), opts.timeoutMs ?? defaultTimeoutMs);
    try {
      await nc.flush();
      await publish(addr, type, data, opts);
      for await (const m of messages) {
        const hit = seqRecords(m.seq, m.data).find((r) => r.rec.cmd.id === opts.id);
        if (hit) return hit;
      }
      if (dead.letter) throw refused(type, dead.letter);
      throw errors.TIMEOUT(`${type} to ${addr.kind} ${addr.id}`);
    } finally {
      clearTimeout(timer);
      dlq.unsubscribe();
      await messages.close();
    }
  };

  const records: Bus['records'] = async (addr) => {
    const last = await lastRecord(addr);
    if (!last) return [];
    const consumer = await js.consumers.get(STREAMS.events, { filter_subjects: eventSubject(addr) });
    const messages = await consumer.consume();
    const timer = setTimeout(() => void messages.close(), defaultTimeoutMs);
    const out: SeqRecord[] = [];
    try {
      for await (const m of messages) {
        out.push(...seqRecords(m.seq, m.data));
        if (m.seq >= last.seq) break;
      }
    } finally {
      clearTimeout(timer);
      await messages.close();
    }
    return out;
  };

  return { nc, js, jsm, publish, lastRecord, records, request };
}

/** The `command.rejected` event of a turn, when the machine could not accept the command. */
export function rejection(rec: JournalRecord): string | null {
  const ev = rec.events.find((e) => e.type === 'command.rejected');
  if (!ev) return null;
  const reason = (ev as { reason?: unknown }).reason;
  return typeof reason === 'string' ? reason : 'rejected';
}
