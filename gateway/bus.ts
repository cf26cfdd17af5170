/**
 * The gateway's only way into the runtime: publish a command to MOE_CMD, read an actor's last
 * journal record, and wait for the record a command produced. Waiting starts an ordered consumer
 * on the actor's MOE_EVT subject *after* the last record seen before publishing, so the answer
 * can only be the turn of this command (or a later one, scanned until the command id matches).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import {
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import {
  codec,
  commandSubject,
  eventSubject,
  JournalRecord,
  STREAMS,
  type ActorAddress,
  type CommandEnvelope,
} from '../schemas/index.js';
import { errors } from './errors.js';

export const recordCodec = codec(JournalRecord, 'JournalRecord');
const envelopeCodec = { encode: (e: CommandEnvelope) => new TextEncoder().encode(JSON.stringify(e)) };

export interface SeqRecord {
  readonly seq: number;
  readonly rec: JournalRecord;
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
  lastRecord(addr: ActorAddress): Promise<SeqRecord | null>;
  /** Publishes a command and resolves with the journal record of its turn. */
  request(
    addr: ActorAddress,
    type: string,
    data: Record<string, unknown>,
    opts: { id: string; session?: string; timeoutMs?: number },
  ): Promise<SeqRecord>;
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
      await js.publish(commandSubject(addr), envelopeCodec.encode(env), { msgID: opts.id });
    } catch (cause) {
      throw errors.NATS_UNAVAILABLE('publish failed', { cause });
    }
  };

  const lastRecord: Bus['lastRecord'] = async (addr) => {
    try {
      const m = await jsm.streams.getMessage(STREAMS.events, { last_by_subj: eventSubject(addr) });
      return m ? { seq: m.seq, rec: recordCodec.decode(m.data) } : null;
    } catch (cause) {
      if (cause instanceof Error && /no message found|not found/i.test(cause.message)) return null;
      throw errors.NATS_UNAVAILABLE('journal read failed', { cause });
    }
  };

  const request: Bus['request'] = async (addr, type, data, opts) => {
    const before = await lastRecord(addr);
    const consumer = await js.consumers.get(STREAMS.events, {
      filter_subjects: eventSubject(addr),
      ...(before ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: before.seq + 1 } : {}),
    });
    const messages = await consumer.consume();
    const timer = setTimeout(() => void messages.close(), opts.timeoutMs ?? defaultTimeoutMs);
    try {
      await publish(addr, type, data, opts);
      for await (const m of messages) {
        const rec = recordCodec.decode(m.data);
        if (rec.cmd.id === opts.id) return { seq: m.seq, rec };
      }
      throw errors.TIMEOUT(`${type} to ${addr.kind} ${addr.id}`);
    } finally {
      clearTimeout(timer);
      await messages.close();
    }
  };

  return { nc, js, jsm, publish, lastRecord, request };
}

/** The `command.rejected` event of a record, when the machine could not accept the command. */
export function rejection(rec: JournalRecord): string | null {
  const ev = rec.events.find((e) => e.type === 'command.rejected');
  if (!ev) return null;
  const reason = (ev as { reason?: unknown }).reason;
  return typeof reason === 'string' ? reason : 'rejected';
}
