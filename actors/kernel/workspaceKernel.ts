/**
 * The kernel of one workspace: consumes the workspace's commands from MOE_CMD and runs turns.
 *
 * One turn, for one command, on one actor (serial per actor, concurrent across actors):
 *   1. dedupe — command id already applied by this actor? ack, done
 *   2. transition the pure machine → next snapshot + effects + emitted events
 *   3. append ONE journal record to MOE_EVT with expected-last-subject-sequence (the fence);
 *      fenced or duplicate → catch up from the journal and go back to 1
 *   4. write the JSONL line, commit snapshot + applied id + effects in one SQLite transaction
 *   5. wait for the JSONL group fsync
 *   6. start the effects (their results come back as commands through this same loop)
 *   7. ack the command
 * A crash anywhere before 7 redelivers the command; step 1 or 3 then finds it applied.
 */
import type { JetStreamClient, JetStreamManager, JsMsg, ConsumerMessages } from '@nats-io/jetstream';
import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { AnyMachineSnapshot } from 'xstate';
import {
  addressKey,
  eventSubject,
  isMoeError,
  parseActorSubject,
  SchemaError,
  STREAMS,
  validator,
  workspaceCommandFilter,
  workspaceConsumerName,
  type ActorAddress,
  type CommandEnvelope,
  type JournalRecord,
  type MoeError,
} from '../../schemas/index.js';
import { errors } from '../../workspace-node/errors.js';
import type { KernelEvent } from '../contract.js';
import type { ActorKind, ActorRegistry } from '../registry.js';
import { enqueue, type ActorCell } from './actorCell.js';
import { systemClock, type Clock } from './clock.js';
import { CommandPublisher, envelopeCodec } from './commandPublisher.js';
import { deadLetterOf, sendToDeadLetters } from './deadLetters.js';
import { EffectScheduler } from './effectScheduler.js';
import { GroupCommitter } from './groupCommit.js';
import { DEFAULT_RETRY, type EffectHandler, type RetryPolicy } from './effects.js';
import { Journal } from './journal.js';
import type { JsonlLog } from './jsonlLog.js';
import { MachineHost, stateString, statusOf } from './machineHost.js';
import { eventFromRecord } from './replay.js';
import { sessionFor, WORKSPACE_SESSION } from './sessionKey.js';
import type { SessionStore } from './sessionStore.js';

const SETTLING = new Set(['effect.result', 'effect.failed', 'timer.fired']);
const MAX_FENCE_RETRIES = 20;

export interface WorkspaceKernelOptions {
  readonly org: string;
  readonly ws: string;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly registry: ActorRegistry;
  readonly store: SessionStore;
  readonly jsonl: JsonlLog;
  readonly effects: ReadonlyMap<string, EffectHandler>;
  readonly log: Logger;
  readonly clock?: Clock;
  readonly retry?: RetryPolicy;
  /** passivate actors idle this long (ms); default 60 s */
  readonly idleMs?: number;
  /** evict after every turn and rebuild from the journal on activation (Restate's alwaysReplay) */
  readonly alwaysReplay?: boolean;
  /** durable consumer name (default ws_<org>_<ws>) */
  readonly consumerName?: string;
  readonly maxAckPending?: number;
  readonly ackWaitMs?: number;
  /** messages per pull request (default 1024); small values spread a shared consumer across nodes */
  readonly pullBatch?: number;
  /** called after each committed turn (projections, metrics) */
  readonly onTurn?: (cell: ActorCell, record: JournalRecord, seq: number) => void;
}

export interface KernelStats {
  turns: number;
  duplicates: number;
  fenced: number;
  caughtUp: number;
  /** replayed records whose recomputed state differed from the journal (nondeterminism) */
  divergences: number;
  deadLetters: number;
  activations: number;
  passivations: number;
  effectsStarted: number;
  effectsFailed: number;
}

export class WorkspaceKernel {
  private readonly cells = new Map<string, ActorCell>();
  private readonly hosts = new Map<string, MachineHost>();
  private readonly validators = new Map<string, (v: unknown) => unknown>();
  private readonly journal: Journal;
  private readonly publisher: CommandPublisher;
  private readonly scheduler: EffectScheduler;
  private readonly committer: GroupCommitter;
  private readonly clock: Clock;
  private readonly stopper = new AbortController();
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  readonly stats: KernelStats = {
    turns: 0,
    duplicates: 0,
    fenced: 0,
    caughtUp: 0,
    divergences: 0,
    deadLetters: 0,
    activations: 0,
    passivations: 0,
    effectsStarted: 0,
    effectsFailed: 0,
  };

  constructor(private readonly o: WorkspaceKernelOptions) {
    this.clock = o.clock ?? systemClock;
    this.journal = new Journal(o.js);
    this.publisher = new CommandPublisher(o.js, this.clock, this.stopper.signal);
    this.committer = new GroupCommitter(o.store, o.jsonl);
    this.scheduler = new EffectScheduler(
      o.effects,
      this.publisher,
      this.clock,
      o.retry ?? DEFAULT_RETRY,
      o.log,
    );
  }

  get consumerName(): string {
    return this.o.consumerName ?? workspaceConsumerName(this.o.org, this.o.ws);
  }

  /** Re-drives pending effects and timers from sessions.db, then starts consuming commands. */
  async start(): Promise<void> {
    await this.ensureConsumer();
    await this.redrivePending();
    const consumer = await this.o.js.consumers.get(STREAMS.commands, this.consumerName);
    this.messages = await consumer.consume({ max_messages: this.o.pullBatch ?? 1024 });
    const messages = this.messages;
    this.loop = (async () => {
      for await (const m of messages) this.dispatch(m);
    })().catch((err: unknown) => this.o.log.error({ err }, 'command loop ended'));
    const idleMs = this.o.idleMs ?? 60_000;
    this.sweeper = setInterval(() => this.passivateIdle(idleMs), Math.max(50, idleMs / 2));
    this.sweeper.unref();
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    if (this.sweeper) clearInterval(this.sweeper);
    this.messages?.stop();
    await this.loop;
    this.scheduler.stop();
    await Promise.all([...this.cells.values()].map((c) => c.tail));
    this.cells.clear();
  }

  /** Resident (activated) actors. */
  get resident(): number {
    return this.cells.size;
  }

  private async ensureConsumer(): Promise<void> {
    const name = this.consumerName;
    const exists = await this.o.jsm.consumers.info(STREAMS.commands, name).catch(() => null);
    if (exists) return;
    await this.o.jsm.consumers.add(STREAMS.commands, {
      durable_name: name,
      filter_subject: workspaceCommandFilter(this.o.org, this.o.ws),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(this.o.ackWaitMs ?? 30_000),
      max_ack_pending: this.o.maxAckPending ?? 4096,
    });
  }

  private async redrivePending(): Promise<void> {
    for (const p of this.o.store.pendingEffects()) {
      const address = parseActorSubject(`moe.cmd.${p.key}`);
      const kind = address && this.o.registry.get(address.kind);
      if (!address || !kind) continue;
      const cell = await this.cellFor(address, kind);
      this.scheduler.start(
        address,
        JSON.parse(p.spec) as never,
        cell.snapshot.context,
        cell.session ?? WORKSPACE_SESSION,
      );
    }
  }

  // ---------------------------------------------------------------- dispatch

  private dispatch(msg: JsMsg): void {
    const address = parseActorSubject(msg.subject);
    if (!address) return void this.deadLetter(msg, errors.BAD_SUBJECT(msg.subject));
    const kind = this.o.registry.get(address.kind);
    if (!kind) return void this.deadLetter(msg, errors.UNKNOWN_KIND(address.kind));
    let cmd: CommandEnvelope;
    try {
      cmd = envelopeCodec.decode(msg.data);
      const check = this.validatorFor(kind, cmd.type);
      if (!check)
        return void this.deadLetter(msg, errors.UNKNOWN_COMMAND(`${cmd.type} for kind ${kind.kind}`));
      check(cmd.data ?? {});
    } catch (err) {
      return void this.deadLetter(msg, err instanceof SchemaError ? err : errors.BAD_COMMAND(String(err)));
    }
    const at = Math.floor(msg.info.timestampNanos / 1e6);
    void this.cellFor(address, kind)
      .then((cell) =>
        enqueue(
          cell,
          () => this.process(cell, cmd, at, msg),
          () => this.clock.now(),
        ),
      )
      .catch((err: unknown) => this.o.log.error({ err, subject: msg.subject }, 'activation failed'));
  }

  private validatorFor(kind: ActorKind, type: string): ((v: unknown) => unknown) | undefined {
    const k = `${kind.kind}/${type}`;
    let v = this.validators.get(k);
    if (!v) {
      const schema = kind.commands[type];
      if (!schema) return undefined;
      v = validator(schema, `${kind.kind}:${type}`);
      this.validators.set(k, v);
    }
    return v;
  }

  private async process(cell: ActorCell, cmd: CommandEnvelope, at: number, msg: JsMsg): Promise<void> {
    try {
      await this.applyCommand(cell, cmd, at);
      msg.ack();
    } catch (err) {
      if (isMoeError(err) && err.retryable) {
        this.o.log.warn({ err, actor: cell.key }, 'turn failed, will be redelivered');
        msg.nak(1000);
      } else if (isMoeError(err)) {
        await this.deadLetter(msg, err);
      } else {
        // NATS errors (timeouts, disconnects): transient. The command is redelivered.
        this.o.log.warn({ err, actor: cell.key }, 'turn interrupted, will be redelivered');
        try {
          msg.nak(1000);
        } catch {
          /* connection down: ack_wait redelivers */
        }
      }
    } finally {
      if (this.o.alwaysReplay && cell.queued <= 1) this.cells.delete(cell.key);
    }
  }

  // ---------------------------------------------------------------- turns

  /** Applies one command to one actor exactly once (see the module comment). */
  private async applyCommand(cell: ActorCell, cmd: CommandEnvelope, at: number): Promise<void> {
    for (let attempt = 0; attempt < MAX_FENCE_RETRIES; attempt++) {
      if (this.o.store.isApplied(cell.key, cmd.id)) {
        this.stats.duplicates++;
        return;
      }
      const session = cell.session ?? sessionFor(cell.address, cmd.session);
      const event: KernelEvent = {
        type: cmd.type,
        data: cmd.data ?? {},
        id: cmd.id,
        at,
        turn: cell.turn + 1,
        session,
      };
      let out;
      try {
        out = cell.host.apply(cell.snapshot, event);
      } catch (err) {
        throw errors.MACHINE_THREW(err instanceof Error ? err.message : String(err), { cause: err });
      }
      const events =
        out.accepted || SETTLING.has(cmd.type)
          ? out.emits
          : [
              {
                type: 'command.rejected',
                command: cmd.type,
                state: stateString(cell.snapshot),
                reason: `${cmd.type} is not accepted in state ${stateString(cell.snapshot)}`,
              },
            ];
      const record: JournalRecord = {
        v: 1,
        actor: { ...cell.address },
        turn: event.turn,
        session,
        cmd:
          cmd.data === undefined
            ? { id: cmd.id, type: cmd.type, at }
            : { id: cmd.id, type: cmd.type, at, data: cmd.data },
        state: stateString(out.next),
        status: statusOf(out.next),
        events,
        effects: out.effects,
        cancels: out.cancels,
      };
      const json = JSON.stringify(record);
      const appended = await this.journal.append(cell.address, record, cell.lastSeq, json);
      if (!appended.ok) {
        this.stats.fenced++;
        await this.catchUp(cell);
        continue;
      }
      await this.commit(cell, record, appended.seq, out.next, json);
      for (const id of out.cancels) this.scheduler.cancel(cell.address, id);
      for (const e of out.effects) this.scheduler.start(cell.address, e, out.next.context, session);
      return;
    }
    throw errors.FENCED(`${cell.key}: gave up after ${MAX_FENCE_RETRIES} attempts`);
  }

  /**
   * Advances the cell to the appended record at once (the journal already holds it) and queues the
   * cache write; resolves when the group commit that carries it is durable.
   */
  private commit(
    cell: ActorCell,
    record: JournalRecord,
    seq: number,
    next: AnyMachineSnapshot,
    json = JSON.stringify(record),
  ): Promise<void> {
    const settled = [...record.cancels];
    if (SETTLING.has(record.cmd.type)) settled.push(String(record.cmd.data?.effectId));
    const durable = this.committer.commit({
      session: record.session,
      line: `{"seq":${seq},"rec":${json}}`,
      commit: {
        row: {
          key: cell.key,
          kind: cell.kind.kind,
          session: record.session,
          turn: record.turn,
          last_seq: seq,
          state: record.state,
          status: record.status,
          snapshot: JSON.stringify(cell.host.persist(next)),
        },
        commandId: record.cmd.id,
        seq,
        startedEffects: record.effects,
        settledEffects: settled,
      },
    });
    cell.snapshot = next;
    cell.turn = record.turn;
    cell.lastSeq = seq;
    cell.session = record.session;
    this.stats.turns++;
    return durable.then(
      () => this.o.onTurn?.(cell, record, seq),
      (err: unknown) => {
        // The cache did not take the turn: forget the in-memory actor so it is rebuilt from
        // sessions.db + the journal, never from a state SQLite does not have.
        this.cells.delete(cell.key);
        throw errors.JOURNAL_UNAVAILABLE(`local commit failed: ${String(err)}`, { cause: err });
      },
    );
  }

  /**
   * Brings a cell up to the journal: applies every record after `cell.lastSeq` through the machine
   * (deterministic, so it reproduces the writer's snapshot), commits each, then re-drives the
   * effects those records started that have no result yet.
   */
  private async catchUp(cell: ActorCell): Promise<void> {
    let last: Promise<void> = Promise.resolve();
    for await (const { seq, record } of this.journal.readAfter(eventSubject(cell.address), cell.lastSeq)) {
      const out = cell.host.apply(cell.snapshot, eventFromRecord(record));
      if (stateString(out.next) !== record.state) {
        this.stats.divergences++;
        this.o.log.error(
          { actor: cell.key, seq, expected: record.state, got: stateString(out.next) },
          'replay diverged',
        );
      }
      last = this.commit(cell, record, seq, out.next);
      this.stats.caughtUp++;
    }
    await last;
    for (const p of this.o.store.pendingEffects(cell.key)) {
      this.scheduler.start(
        cell.address,
        JSON.parse(p.spec) as never,
        cell.snapshot.context,
        cell.session ?? WORKSPACE_SESSION,
      );
    }
  }

  // ---------------------------------------------------------------- activation

  private async cellFor(address: ActorAddress, kind: ActorKind): Promise<ActorCell> {
    const key = addressKey(address);
    const existing = this.cells.get(key);
    if (existing) return existing;
    let host = this.hosts.get(kind.kind);
    if (!host) {
      host = new MachineHost(kind.machine);
      this.hosts.set(kind.kind, host);
    }
    const row = this.o.alwaysReplay ? undefined : this.o.store.load(key);
    const cell: ActorCell = {
      address,
      key,
      kind,
      host,
      snapshot: row ? host.restore(JSON.parse(row.snapshot)) : host.initial(),
      turn: row?.turn ?? 0,
      lastSeq: row?.last_seq ?? 0,
      session: row?.session ?? null,
      tail: Promise.resolve(),
      queued: 0,
      lastActive: this.clock.now(),
    };
    this.cells.set(key, cell);
    this.stats.activations++;
    // Queued first, so every command that finds this cell runs after the rebuild.
    if (this.o.alwaysReplay)
      void enqueue(
        cell,
        () => this.catchUp(cell),
        () => this.clock.now(),
      ).catch(() => undefined);
    return cell;
  }

  private passivateIdle(idleMs: number): void {
    const now = this.clock.now();
    for (const [key, cell] of this.cells) {
      if (cell.queued === 0 && now - cell.lastActive >= idleMs) {
        this.cells.delete(key);
        this.stats.passivations++;
      }
    }
  }

  // ---------------------------------------------------------------- dead letters

  private async deadLetter(msg: JsMsg, err: MoeError | SchemaError): Promise<void> {
    this.stats.deadLetters++;
    await sendToDeadLetters(this.o.js, this.o.log, this.o, msg, deadLetterOf(msg, err, this.clock.now()));
  }
}
