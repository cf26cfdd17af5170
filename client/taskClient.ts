/**
 * A small client for NATS users in TypeScript: publish a command, wait for the journal turn it
 * produced, submit a task and wait for its outcome. Any language can do the same with two
 * subjects (see docs/subjects.md); this is the reference implementation.
 */
import { jetstream, DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  codec,
  CommandEnvelope,
  commandMsgId,
  commandSubject,
  decodeTurns,
  eventSubject,
  findEvent,
  STREAMS,
  type EventOf,
  type JournalRecord,
  type ActorAddress,
  type TaskSubmit,
} from '../schemas/index.js';

const envelopeCodec = codec(CommandEnvelope, 'CommandEnvelope');

/** One turn of an actor, with the MOE_EVT sequence of the entry that carries it. */
export interface RecordWithSeq {
  readonly seq: number;
  readonly record: JournalRecord;
}

/** How a task ended: completed, failed, or its `task.submit` was rejected. */
export type TaskOutcome = EventOf<'task.completed' | 'task.failed' | 'command.rejected'>;

const outcomeOf = (r: RecordWithSeq): TaskOutcome | undefined =>
  findEvent(r.record.events, 'task.completed', 'task.failed', 'command.rejected');

export class MoeClient {
  readonly js: JetStreamClient;
  constructor(readonly nc: NatsConnection) {
    this.js = jetstream(nc);
  }

  /** Publishes a command; resolves with its MOE_CMD sequence once JetStream stored it. */
  async send(to: ActorAddress, command: CommandEnvelope): Promise<number> {
    const ack = await this.js.publish(commandSubject(to), envelopeCodec.encode(command), {
      msgID: commandMsgId(to, command.id),
    });
    return ack.seq;
  }

  /**
   * Streams an actor's turns from the start (or after the entry at `afterSeq`) until `until`
   * returns true for one of them; resolves with all turns seen. Uses an ordered consumer, so a
   * turn appended before the call is not missed.
   */
  async follow(
    actor: ActorAddress,
    until: (r: RecordWithSeq) => boolean,
    opts: { afterSeq?: number; timeoutMs?: number; onRecord?: (r: RecordWithSeq) => void } = {},
  ): Promise<RecordWithSeq[]> {
    const consumer = await this.js.consumers.get(STREAMS.events, {
      filter_subjects: eventSubject(actor),
      ...(opts.afterSeq
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: opts.afterSeq + 1 }
        : { deliver_policy: DeliverPolicy.All }),
    });
    const messages = await consumer.consume({ max_messages: 256 });
    const seen: RecordWithSeq[] = [];
    const timer = setTimeout(
      () => messages.stop(new Error(`timed out after ${opts.timeoutMs} ms`)),
      opts.timeoutMs ?? 60_000,
    );
    try {
      outer: for await (const m of messages) {
        for (const record of decodeTurns(m.data)) {
          const r = { seq: m.seq, record };
          seen.push(r);
          opts.onRecord?.(r);
          if (until(r)) break outer;
        }
      }
    } finally {
      clearTimeout(timer);
      messages.stop();
    }
    const last = seen[seen.length - 1];
    if (!last || !until(last))
      throw new Error(`stream for ${eventSubject(actor)} ended before the awaited record`);
    return seen;
  }

  /** Sends `command` and waits for the record of the turn that applied it. */
  async request(to: ActorAddress, command: CommandEnvelope, timeoutMs = 60_000): Promise<RecordWithSeq> {
    const waiting = this.follow(to, (r) => r.record.cmd.id === command.id, { timeoutMs });
    await this.send(to, command);
    const records = await waiting;
    return records[records.length - 1]!;
  }

  /**
   * Submits a task to a new agent actor (`taskId` is its id) and waits for `task.completed` or
   * `task.failed`. `onRecord` sees every turn on the way (the session timeline).
   */
  async runTask(
    org: string,
    ws: string,
    taskId: string,
    submit: TaskSubmit,
    opts: { session?: string; timeoutMs?: number; onRecord?: (r: RecordWithSeq) => void } = {},
  ): Promise<{ outcome: TaskOutcome; records: RecordWithSeq[] }> {
    const actor: ActorAddress = { org, ws, kind: 'agent', id: taskId };
    const isEnd = (r: RecordWithSeq) => outcomeOf(r) !== undefined;
    const waiting = this.follow(actor, isEnd, {
      timeoutMs: opts.timeoutMs ?? 120_000,
      ...(opts.onRecord ? { onRecord: opts.onRecord } : {}),
    });
    await this.send(actor, {
      id: `task-${taskId}`,
      type: 'task.submit',
      data: submit,
      ...(opts.session ? { session: opts.session } : {}),
    });
    const records = await waiting;
    const last = records[records.length - 1]!;
    const outcome = outcomeOf(last)!;
    return { outcome, records };
  }
}
