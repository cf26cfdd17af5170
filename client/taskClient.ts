/**
 * A small client for NATS users in TypeScript: publish a command, wait for the journal turn it
 * produced, submit a task and wait for its outcome. Any language can do the same with two
 * subjects (see docs/subjects.md); this is the reference implementation.
 */
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { JournalReader, publishCommand } from '../actors/kernel/index.js';
import {
  eventSubject,
  type CommandEnvelope,
  findEvent,
  type EventOf,
  type JournalRecord,
  type ActorAddress,
  type TaskSubmit,
} from '../schemas/index.js';

/** One turn of an actor, with the MOE_EVT sequence of the entry that carries it. */
export interface RecordWithSeq {
  readonly seq: number;
  readonly record: JournalRecord;
}

/**
 * How a task ended: completed, failed, its `task.submit` was rejected, or (in a session) the
 * session refused it (`task.refused`, code MOE_ERR_SESSION_EXPIRED) or could not take it
 * (`command.rejected`: never opened, or closed).
 */
export type TaskOutcome = EventOf<'task.completed' | 'task.failed' | 'command.rejected' | 'task.refused'>;

const outcomeOf = (r: RecordWithSeq): TaskOutcome | undefined =>
  findEvent(r.record.events, 'task.completed', 'task.failed', 'command.rejected');

export class MoeClient {
  readonly js: JetStreamClient;
  constructor(readonly nc: NatsConnection) {
    this.js = jetstream(nc);
  }

  /**
   * Publishes a command; resolves with its MOE_CMD sequence once JetStream stored it. Throws
   * SchemaError (an envelope its schema refuses) or CommandTooLargeError before publishing.
   */
  async send(to: ActorAddress, command: CommandEnvelope): Promise<number> {
    return (await publishCommand(this.js, to, command)).seq;
  }

  /**
   * Streams an actor's turns from the start (or after the entry at `afterSeq`) until `until`
   * returns true for one of them; resolves with all turns seen. Reads with the kernel's journal
   * reader (which resumes if its consumer is lost), so a turn appended before the call is not missed.
   */
  async follow(
    actor: ActorAddress,
    until: (r: RecordWithSeq) => boolean,
    opts: { afterSeq?: number; timeoutMs?: number; onRecord?: (r: RecordWithSeq) => void } = {},
  ): Promise<RecordWithSeq[]> {
    const reader = new JournalReader(this.js, {
      filter: eventSubject(actor),
      start: { afterSeq: opts.afterSeq ?? 0 },
      follow: true,
    });
    await reader.open();
    const seen: RecordWithSeq[] = [];
    const timeoutMs = opts.timeoutMs ?? 60_000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void reader.close();
    }, timeoutMs);
    try {
      for await (const { seq, rec: record } of reader.turns()) {
        const r = { seq, record };
        seen.push(r);
        opts.onRecord?.(r);
        if (until(r)) break;
      }
    } finally {
      clearTimeout(timer);
      await reader.close();
    }
    const last = seen[seen.length - 1];
    if (last && until(last)) return seen;
    if (timedOut) throw new Error(`timed out after ${opts.timeoutMs} ms`);
    throw new Error(`stream for ${eventSubject(actor)} ended before the awaited record`);
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
   *
   * With `session`, the task goes through that session actor (`session.submit`), which admits it
   * while its lease holds and forwards it to the agent; a refusal is the outcome, from the
   * session's turn, and no agent runs.
   */
  async runTask(
    org: string,
    ws: string,
    taskId: string,
    submit: TaskSubmit,
    opts: { session?: string; timeoutMs?: number; onRecord?: (r: RecordWithSeq) => void } = {},
  ): Promise<{ outcome: TaskOutcome; records: RecordWithSeq[] }> {
    const actor: ActorAddress = { org, ws, kind: 'agent', id: taskId };
    if (opts.session) {
      const s = await this.request(
        { org, ws, kind: 'session', id: opts.session },
        {
          id: `task-${taskId}`,
          type: 'session.submit',
          data: { task: taskId, submit },
          session: opts.session,
        },
        opts.timeoutMs ?? 120_000,
      );
      opts.onRecord?.(s);
      const refused = findEvent(s.record.events, 'task.refused', 'command.rejected');
      if (refused) return { outcome: refused, records: [s] };
    }
    const isEnd = (r: RecordWithSeq) => outcomeOf(r) !== undefined;
    const waiting = this.follow(actor, isEnd, {
      timeoutMs: opts.timeoutMs ?? 120_000,
      ...(opts.onRecord ? { onRecord: opts.onRecord } : {}),
    });
    if (!opts.session) await this.send(actor, { id: `task-${taskId}`, type: 'task.submit', data: submit });
    const records = await waiting;
    const last = records[records.length - 1]!;
    const outcome = outcomeOf(last)!;
    return { outcome, records };
  }
}
