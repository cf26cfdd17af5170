/**
 * The kernel of one workspace: consumes the workspace's commands from MOE_CMD and runs turns.
 *
 * Commands land in their actor's mailbox. An actor drains its mailbox serially (actors overlap):
 *   1. dedupe — each command id already applied by this actor? it will only be acked
 *   2. transition the pure machine once per command (one turn each) → next snapshot + effects +
 *      emitted events
 *   3. append ONE journal entry carrying those turns to MOE_EVT with
 *      expected-last-subject-sequence (the fence); fenced or duplicate → catch up from the
 *      journal and go back to 1
 *   4. write the JSONL line, commit snapshot + applied ids + effects in one SQLite transaction
 *   5. wait for the JSONL group fsync
 *   6. start the effects (their results come back as commands through this same loop)
 *   7. ack the commands
 * With no backlog an entry carries one turn; under load the commands that arrived during the
 * previous append go together (a group commit per actor: one append, one fence, one row write).
 * A crash anywhere before 7 redelivers the commands; step 1 or 3 then finds them applied.
 *
 * Sizes: a command over MAX_COMMAND_BYTES is dead-lettered at intake; an entry is cut by bytes to
 * fit the server's max_payload (a turn that alone cannot fit is refused, see turnBatch.ts).
 * Order: when an actor's commands are nak'ed for a retry, its later commands are held back (nak'ed
 * as they come) until the earlier ones are applied or dead-lettered, so no command overtakes one
 * that is being retried.
 */
import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { AnyMachineSnapshot } from 'xstate';
import {
  addressKey,
  eventSubject,
  isMoeError,
  parseActorSubject,
  validator,
  workspaceConsumerName,
  entryBudget,
  entryTurns,
  isMaxPayloadError,
  SchemaError,
  MAX_COMMAND_BYTES,
  TENANCY_COMMANDS_BY_KIND,
  TENANCY_WS,
  turnsOf,
  type ActorAddress,
  type AnyJournalEntry,
  type CommandEnvelope,
  type JournalEntry,
} from '../../schemas/index.js';
import { kernelErrors as errors } from './errors.js';
import type { KernelObserver } from './kernelObserver.js';
import type { ActorKind, ActorRegistry } from '../registry.js';
import { enqueue, type ActorCell, type Mail } from './actorCell.js';
import { cachedActivation, replayingActivation, type Activation } from './activation.js';
import { systemClock, type Clock } from './clock.js';
import { CommandPublisher, envelopeCodec } from './commandPublisher.js';
import { DeadLetters } from './deadLetters.js';
import { dispositionOf, type CommandFate, type Disposition } from './disposition.js';
import { EffectDispatch } from './effectDispatch.js';
import { EffectOutcomes } from './effectOutcomes.js';
import { RepeatLog } from './repeatLog.js';
import { settle } from './settle.js';
import { EffectScheduler } from './effectScheduler.js';
import { GroupCommitter } from './groupCommit.js';
import { DEFAULT_RETRY, type EffectHandler, type EffectRetryPolicy } from './effects.js';
import { entryEffects, SETTLING } from './entryEffects.js';
import { turnsFromBatch } from './turnBatch.js';
import { consumeCommands, ensureWorkspaceConsumer, type CommandLoop } from './workspaceConsumer.js';
import { resumeInFlight } from './consumerResume.js';
import { soleReaderCheck } from './deliveryCheck.js';
import { actorsToRecover } from './journalRecovery.js';
import { RedriveGate } from './redriveGate.js';
import { Journal } from './journal.js';
import type { JsonlLog } from './jsonlLog.js';
import { MachineHost, stateString } from './machineHost.js';
import { eventFromRecord } from './replay.js';
import { sessionFor, WORKSPACE_SESSION } from './sessionKey.js';
import type { PendingEffect, SessionStore } from './sessionStore.js';
import { endTurnSpan, startTurnSpan, turnTrace } from './turnSpans.js';
import { appendSpan } from './appendSpan.js';
import { ATTR, tracingOn } from './tracing.js';

const MAX_FENCE_RETRIES = 20;
/** actors recovered from the journal (caught up) at a time on start */
const RECOVERY_CONCURRENCY = 16;
/** a command nak'ed for a retry holds its actor's later commands back at most this long (ms) */
const HOLD_MS = 120_000;
const APPLIED: CommandFate = { step: 'applied' };
const HELD: CommandFate = { step: 'held' };
const HANDED_OVER: CommandFate = { step: 'handed-over' };
/** how often a hand-over checks whether the workspace is quiet (ms) */
const HANDOVER_POLL_MS = 25;

export interface WorkspaceKernelOptions {
  readonly org: string;
  readonly ws: string;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly registry: ActorRegistry;
  readonly store: SessionStore;
  readonly jsonl: JsonlLog;
  readonly effects: ReadonlyMap<string, EffectHandler>;
  readonly log: Logger;
  readonly clock?: Clock;
  readonly retry?: EffectRetryPolicy;
  /** passivate actors idle this long (ms); default 60 s */
  readonly idleMs?: number;
  /** evict after every turn and rebuild from the journal on activation (Restate's alwaysReplay, activation.ts) */
  readonly alwaysReplay?: boolean;
  /** durable consumer name (default: the workspace's, see workspaceConsumer.ts) */
  readonly consumerName?: string;
  readonly maxAckPending?: number;
  readonly ackWaitMs?: number;
  /** messages per pull request (default 8,192); small values spread a shared consumer across nodes */
  readonly pullBatch?: number;
  /** called with the session-log line (`{"seq":…,"rec":…}`) of each committed entry (projections) */
  readonly onEntry?: (line: string) => void;
  /** called after an effect's outcome is recorded and before it is published (fault injection) */
  readonly afterOutcomeRecorded?: (kind: string) => void;
  /**
   * This kernel holds the workspace's placement lease, so it is the consumer's only reader: commands
   * a previous holder was delivered and never acked are delivered again at once (consumerResume.ts),
   * and so are deliveries to this kernel that went missing on the way (deliveryCheck.ts); pending
   * effects are re-driven after that backlog (redriveGate.ts). Off by default (tests
   * that run two kernels on one workspace).
   */
  readonly soleReader?: boolean;
  /** the process's metrics: told of each durable entry, dead letter, effect and fsync (kernelObserver.ts) */
  readonly observer?: KernelObserver;
  /**
   * Why actor `<org>.<ws>.<kind>.<id>` was stopped by its restart policy (undefined: it was not):
   * its commands are dead-lettered with MOE_ERR_ACTOR_STOPPED, before any turn (stoppedActors.ts).
   */
  readonly stoppedWhy?: (actor: string) => string | undefined;
}

export interface KernelStats {
  turns: number;
  /** journal entries appended (turns / entries = the mean turns per append) */
  entries: number;
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
  /** commands nak'ed because an earlier command of their actor was being retried */
  heldBack: number;
  /** repeated failures counted instead of logged (see RepeatLog) */
  repeatedFailures: number;
}

export class WorkspaceKernel {
  private readonly cells = new Map<string, ActorCell>();
  /** cells with new mail and no drain queued yet (started together on the next setImmediate) */
  private toDrain: ActorCell[] = [];
  /** dead letters being stored (their commands are acked after) */
  private readonly lettering = new Set<Promise<void>>();
  private readonly hosts = new Map<string, MachineHost>();
  private readonly validators = new Map<string, (v: unknown) => unknown>();
  private readonly journal: Journal;
  private readonly publisher: CommandPublisher;
  private readonly scheduler: EffectScheduler;
  private readonly committer: GroupCommitter;
  private readonly deadLetters: DeadLetters;
  private readonly activation: Activation;
  private readonly clock: Clock;
  private resolvedConsumerName: string | undefined;
  private readonly stopper = new AbortController();
  private messages: CommandLoop | undefined;
  private loop: Promise<void> | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  /** actor key → stream sequences of its commands nak'ed for a retry → since (ms) */
  private readonly holds = new Map<string, Map<number, number>>();
  private readonly failures: RepeatLog;
  /** re-drives wait for the takeover's backlog (open unless `soleReader` found one) */
  private gate = new RedriveGate(0, () => Promise.resolve());
  /**
   * set by {@link handOver}: `quieting` — only effect outcomes still get turns here, new work goes
   * back to the stream; `closing` — everything goes back
   */
  private handingOver: false | 'quieting' | 'closing' = false;
  /** commands that arrived during a hand-over: neither acked nor nak'ed until the kernel stopped */
  private readonly parked: JsMsg[] = [];
  readonly stats: KernelStats = {
    turns: 0,
    entries: 0,
    duplicates: 0,
    fenced: 0,
    caughtUp: 0,
    divergences: 0,
    deadLetters: 0,
    activations: 0,
    passivations: 0,
    effectsStarted: 0,
    effectsFailed: 0,
    heldBack: 0,
    repeatedFailures: 0,
  };

  constructor(private readonly o: WorkspaceKernelOptions) {
    this.clock = o.clock ?? systemClock;
    this.journal = new Journal(o.js, o.nc);
    this.publisher = new CommandPublisher(o.js, this.clock, this.stopper.signal, o.log);
    this.committer = new GroupCommitter(o.store, o.jsonl);
    this.failures = new RepeatLog(o.log, () => this.clock.now());
    const workspace = { org: o.org, ws: o.ws };
    this.deadLetters = new DeadLetters(o.js, o.log, this.clock, () => workspace);
    this.activation = o.alwaysReplay ? replayingActivation : cachedActivation(o.store);
    this.scheduler = new EffectScheduler(
      new EffectDispatch(o.effects, o.registry),
      this.publisher,
      this.clock,
      o.retry ?? DEFAULT_RETRY,
      o.log,
      new EffectOutcomes(o.store.db),
      o.afterOutcomeRecorded,
      this.stats,
      o.observer,
    );
  }

  /** The durable consumer this kernel reads (its name is settled by `start`). */
  get consumerName(): string {
    return this.resolvedConsumerName ?? this.o.consumerName ?? workspaceConsumerName(this.o.org, this.o.ws);
  }

  /**
   * Re-drives pending effects and timers from sessions.db, then starts consuming commands; then,
   * in the background, recovers from the journal the actors with pending effects the cache does not
   * know (journalRecovery.ts). As sole reader, first takes over the previous holder's unacked
   * commands (consumerResume.ts), and holds the re-drives until they and the backlog had their turns.
   */
  async start(): Promise<void> {
    const { consumerName, ...rest } = this.o;
    const ensure = () =>
      ensureWorkspaceConsumer({ ...rest, ...(consumerName !== undefined ? { name: consumerName } : {}) });
    this.resolvedConsumerName = await ensure();
    if (this.o.soleReader) await this.resumeDeliveries(ensure);
    const name = this.resolvedConsumerName;
    const consumer = {
      ...rest,
      name,
      // the lease holder is the consumer's only reader: every delivery must arrive (deliveryCheck.ts)
      ...(this.o.soleReader
        ? {
            check: soleReaderCheck({
              nc: this.o.nc,
              jsm: this.o.jsm,
              name,
              log: this.o.log,
              settled: (ms) => this.settledWithin(ms),
            }),
          }
        : {}),
    };
    await this.redrivePending();
    const { messages, closed } = await consumeCommands(consumer, (m) => {
      this.gate.delivered();
      this.dispatch(m);
    });
    this.messages = messages;
    this.loop = closed;
    void this.recoverFromJournal().catch((err: unknown) =>
      this.o.log.warn(
        { err },
        'pending effects not recovered from the journal; the next command re-drives them',
      ),
    );
    const idleMs = this.o.idleMs ?? 60_000;
    this.sweeper = setInterval(() => this.passivateIdle(idleMs), Math.max(50, idleMs / 2));
    this.sweeper.unref();
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    this.gate.close();
    if (this.sweeper) clearInterval(this.sweeper);
    this.messages?.stop();
    await this.loop;
    this.scheduler.stop();
    this.startDrains(); // mail already delivered still gets its turns before the node stops
    await Promise.all([...this.cells.values()].map((c) => c.tail));
    this.cells.clear();
    this.journal.close();
  }

  /**
   * A graceful hand-over (drain, rebalance): commands that start new work are parked (not acked)
   * while the effects already started finish and
   * their outcomes get their turns here, so the next host neither waits for them nor runs them
   * again. Then the kernel stops, and the parked commands are nak'ed (no delay) for whoever hosts
   * the workspace next. Parked commands stay within ack_wait (30 s) when `timeoutMs` is below it;
   * past it JetStream delivers them again (and they are parked again). False when `timeoutMs` ran out first: it stops anyway, and what
   * is still pending is re-driven by the next host (at-least-once, as after a crash).
   */
  async handOver(timeoutMs: number): Promise<boolean> {
    this.handingOver = 'quieting';
    const deadline = Date.now() + timeoutMs;
    let quiet = this.quiescent();
    while (!quiet && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, HANDOVER_POLL_MS));
      quiet = this.quiescent();
    }
    // Unsubscribing at once would drop what the server already sent us (it would wait ack_wait,
    // 30 s, for redelivery): drain the pull subscription instead — what arrives until the server
    // has seen the unsubscribe is parked too.
    this.handingOver = 'closing';
    await this.messages?.drain();
    await this.stop();
    // Only now, with nothing left pulling here, do the parked commands go back (for the next host).
    for (const msg of this.parked.splice(0)) void this.settle(msg, dispositionOf(HANDED_OVER));
    await this.o.nc.flush().catch(() => undefined);
    return quiet;
  }

  /** No turn queued or running, no effect running, none started without an outcome (timers aside). */
  private quiescent(): boolean {
    if (this.scheduler.inFlight > 0 || this.toDrain.length > 0) return false;
    for (const c of this.cells.values()) if (c.draining || c.mailbox.length > 0 || c.queued > 0) return false;
    return !this.o.store.pendingEffects().some((p) => p.kind !== 'timer');
  }

  /** Effects running now (timers aside). */
  get effectsInFlight(): number {
    return this.scheduler.inFlight;
  }

  /** Resident (activated) actors. */
  get resident(): number {
    return this.cells.size;
  }

  private async redrivePending(): Promise<void> {
    for (const p of this.o.store.pendingEffects()) {
      const address = parseActorSubject(`moe.cmd.${p.key}`);
      const kind = address && this.o.registry.get(address.kind);
      if (!address || !kind) continue;
      this.redrive(this.cellFor(address, kind), [p]);
    }
  }

  /**
   * Starts again the effects the actor started that have no outcome yet (idempotent), once the
   * takeover's backlog is through (an effect its results settled is then skipped).
   */
  private redrive(cell: ActorCell, pending: readonly PendingEffect[]): void {
    if (pending.length === 0) return;
    const context: unknown = cell.snapshot.context;
    const session = cell.session ?? WORKSPACE_SESSION;
    this.gate.after(() => {
      for (const p of pending)
        this.scheduler.start(
          cell.address,
          JSON.parse(p.spec) as never,
          context,
          session,
          p.trace ?? undefined,
          true,
        );
    });
  }

  /**
   * Delivers again at once what a previous holder was delivered and never acked, and arms the gate
   * that holds re-drives until the backlog had its turns. On failure the consumer is made sure of
   * again (recreated from the start of the stream if it went missing; dedupe skips what was applied).
   */
  private async resumeDeliveries(ensure: () => Promise<string>): Promise<void> {
    const resumed = await resumeInFlight(this.o.jsm, this.consumerName, this.o.log).catch(
      async (err: unknown) => {
        this.o.log.warn(
          { err, consumer: this.consumerName },
          'in-flight commands not resumed; ack_wait redelivers them',
        );
        await ensure();
        return null;
      },
    );
    if (!resumed || resumed.backlog === 0) return;
    this.gate = new RedriveGate(resumed.backlog, () => this.deliveriesSettled());
  }

  /** Resolves once every delivery handed to this kernel so far has had its turn and is settled. */
  private async deliveriesSettled(): Promise<void> {
    // the last delivery's turn is queued on the next setImmediate (deliver); then wait for every
    // cell, and for dead letters being stored (acked after)
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    await Promise.all([...[...this.cells.values()].map((c) => c.tail), ...this.lettering]);
  }

  /** {@link deliveriesSettled} within `ms`: false when it did not happen in time. */
  private async settledWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
    try {
      return await Promise.race([this.deliveriesSettled().then(() => true), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Activates the actors the journal holds with effects still pending and the cache does not know
   * (journalRecovery.ts): each is caught up from the journal, which re-drives its pending effects.
   * A few at a time, so a workspace of many actors does not open a reader for each at once.
   */
  private async recoverFromJournal(): Promise<void> {
    const { org, ws, js, jsm, registry, store, log } = this.o;
    const scan = await actorsToRecover(js, jsm, org, ws, (key) => store.load(key) !== undefined);
    if (scan.unknown === 0) return;
    log.info(
      { unknown: scan.unknown, withPendingEffects: scan.pending.length },
      'actors recovered from the journal',
    );
    for (let i = 0; i < scan.pending.length; i += RECOVERY_CONCURRENCY) {
      const cells: ActorCell[] = [];
      for (const address of scan.pending.slice(i, i + RECOVERY_CONCURRENCY)) {
        const kind = registry.get(address.kind);
        if (this.stopper.signal.aborted) return;
        if (!kind || this.cells.has(addressKey(address))) continue; // a command activated it: it caught up then
        const cell = this.cellFor(address, kind);
        if (!this.o.alwaysReplay) this.queueCatchUp(cell); // alwaysReplay queues it on activation
        cells.push(cell);
      }
      await Promise.all(cells.map((c) => c.tail));
    }
  }

  // ---------------------------------------------------------------- dispatch

  private dispatch(msg: JsMsg): void {
    const address = parseActorSubject(msg.subject);
    if (!address) return void this.refuse(msg, errors.BAD_SUBJECT(msg.subject));
    // an actor its restart policy stopped takes nothing until an operator restarts it: every command
    // is dead-lettered (acked), so the supervisor sees no new failure and the letter can be redriven
    const stopped = this.o.stoppedWhy?.(addressKey(address));
    if (stopped !== undefined) return void this.refuse(msg, errors.ACTOR_STOPPED(stopped));
    const kind = this.o.registry.get(address.kind);
    if (!kind) return void this.refuse(msg, errors.UNKNOWN_KIND(address.kind));
    if (address.ws !== TENANCY_WS && kind.kind in TENANCY_COMMANDS_BY_KIND)
      return void this.refuse(msg, errors.KIND_NOT_IN_WORKSPACE(`${kind.kind} in ${address.ws}`));
    if (msg.data.length > MAX_COMMAND_BYTES)
      return void this.refuse(
        msg,
        errors.COMMAND_TOO_LARGE(`${msg.data.length} bytes > ${MAX_COMMAND_BYTES}`),
      );
    let cmd: CommandEnvelope;
    try {
      cmd = envelopeCodec.decode(msg.data);
      const check = this.validatorFor(kind, cmd.type);
      if (!check) return void this.refuse(msg, errors.UNKNOWN_COMMAND(`${cmd.type} for kind ${kind.kind}`));
      check(cmd.data ?? {});
    } catch (err) {
      return void this.refuse(msg, err);
    }
    if (this.handingOver === 'closing' || (this.handingOver && !SETTLING.has(cmd.type)))
      return void this.parked.push(msg);
    if (this.heldBack(addressKey(address), msg)) return;
    const mail: Mail = {
      cmd,
      at: Math.floor(msg.info.timestampNanos / 1e6),
      msg,
      settled: false,
      received: performance.now(),
    };
    if (tracingOn()) mail.span = startTurnSpan(msg, address, cmd);
    let cell: ActorCell;
    try {
      cell = this.cellFor(address, kind);
    } catch (err) {
      // Not acked: ack_wait redelivers the command, and activation is tried again.
      this.o.log.error({ err, subject: msg.subject }, 'activation failed');
      endTurnSpan(mail, 'activation-failed', err);
      return void this.settle(msg, dispositionOf({ step: 'activation-failed', error: err }));
    }
    this.deliver(cell, mail);
  }

  /**
   * Puts a command in the actor's mailbox and makes sure a drain is queued. Drains start after
   * the current I/O callback (setImmediate), so every command of a delivered batch is in its
   * mailbox before the first append: that is what lets one entry carry several turns.
   */
  private deliver(cell: ActorCell, mail: Mail): void {
    cell.mailbox.push(mail);
    if (cell.draining) return;
    cell.draining = true;
    this.toDrain.push(cell);
    if (this.toDrain.length === 1) setImmediate(() => this.startDrains());
  }

  private startDrains(): void {
    const cells = this.toDrain;
    this.toDrain = [];
    for (const cell of cells)
      void enqueue(
        cell,
        () => this.drain(cell),
        () => this.clock.now(),
      );
  }

  /** Appends the mailbox's commands, a batch at a time, until it is empty. */
  private async drain(cell: ActorCell): Promise<void> {
    const batchSize = this.activation.maxTurnsPerEntry;
    try {
      while (cell.mailbox.length > 0) await this.process(cell, cell.mailbox.splice(0, batchSize));
    } finally {
      cell.draining = false;
    }
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

  private async process(cell: ActorCell, batch: Mail[]): Promise<void> {
    try {
      const rest = await this.applyCommands(cell, batch);
      for (const m of batch)
        if (!m.settled && !rest.includes(m)) {
          endTurnSpan(m, 'applied');
          void this.settle(m.msg, dispositionOf(APPLIED));
        }
      // Cut by bytes: the commands that did not fit go first in the next entry.
      cell.mailbox.unshift(...rest);
      this.failures.clear(cell.key);
    } catch (err) {
      const open = batch.filter((m) => !m.settled);
      const disposition = dispositionOf({ step: 'turn', error: err });
      if (disposition.action === 'dead-letter') {
        for (const m of open) {
          endTurnSpan(m, 'dead-lettered', err);
          await this.settle(m.msg, disposition);
        }
        return;
      }
      // Retryable MoeErrors and NATS errors (timeouts, disconnects): transient. The commands are
      // redelivered, and the actor's later ones wait for them (they go back too, and are held).
      const why = isMoeError(err)
        ? 'turn failed, will be redelivered'
        : 'turn interrupted, will be redelivered';
      this.failures.warn(cell.key, { err, actor: cell.key }, why);
      this.stats.repeatedFailures = this.failures.repeats;
      this.hold(cell.key, open);
      const later = cell.mailbox.splice(0);
      for (const m of [...open, ...later]) {
        endTurnSpan(m, 'retry', err);
        void this.settle(m.msg, disposition);
      }
    } finally {
      this.activation.afterBatch(cell, this.cells);
    }
  }

  // ---------------------------------------------------------------- turns

  /**
   * Applies a batch of one actor's commands exactly once (see the module comment): one turn per
   * new command, appended as one journal entry as far as the entry fits the server's max_payload.
   * A command the machine throws on, or whose turn alone cannot fit, is dead-lettered and skipped;
   * the rest go on. Resolves with the commands left for the next entry (not settled).
   */
  private async applyCommands(cell: ActorCell, batch: Mail[]): Promise<Mail[]> {
    let entryBytes = entryBudget(this.o.nc.info?.max_payload);
    for (let attempt = 0; attempt < MAX_FENCE_RETRIES; attempt++) {
      const session = cell.session ?? sessionFor(cell.address, batch[0]!.cmd.session);
      const open = batch.filter((m) => !m.settled);
      const applied = this.o.store.appliedAmong(
        cell.key,
        open.map((m) => m.cmd.id),
      );
      const head = `{"v":2,"actor":${JSON.stringify({ ...cell.address })},"session":${JSON.stringify(session)},"turns":[`;
      const out = turnsFromBatch(
        cell.host,
        { snapshot: cell.snapshot, turn: cell.turn, session },
        open,
        applied,
        { entryBytes, overheadBytes: Buffer.byteLength(head) + 2 },
      );
      const { turns, contexts, snapshot } = out;
      this.stats.duplicates += out.duplicates.length;
      for (const d of out.duplicates) endTurnSpan(d, 'duplicate');
      for (const { mail, error } of out.threw) {
        mail.settled = true;
        endTurnSpan(mail, 'dead-lettered', error);
        const reason = error instanceof Error ? error.message : String(error);
        await this.settle(
          mail.msg,
          dispositionOf({ step: 'turn', error: errors.MACHINE_THREW(reason, { cause: error }) }),
        );
      }
      for (const { mail, bytes } of out.tooLarge) {
        mail.settled = true;
        const error = errors.TURN_TOO_LARGE(`${bytes} bytes > ${entryBytes}`);
        endTurnSpan(mail, 'dead-lettered', error);
        await this.settle(mail.msg, dispositionOf({ step: 'turn', error }));
      }
      const rest = open.slice(out.consumed);
      if (turns.length === 0) return rest;
      const entry: JournalEntry = { v: 2, actor: { ...cell.address }, session, turns };
      const json = `${head}${out.turnJson.join(',')}]}`;
      // traced: each turn's mail (its span parents the append and the effects the turn starts)
      const mailOf = tracingOn() ? new Map(open.map((m) => [m.cmd.id, m])) : undefined;
      const turnMails = mailOf ? turns.map((t) => mailOf.get(t.cmd.id)) : undefined;
      let appended;
      try {
        appended = await (turnMails
          ? appendSpan(turnMails, cell.address, (trace) =>
              this.journal.append(cell.address, entry, cell.lastSeq, json, trace),
            )
          : this.journal.append(cell.address, entry, cell.lastSeq, json));
      } catch (err) {
        if (!isMaxPayloadError(err)) throw err;
        // The server takes less than its INFO said: one turn fewer, or refuse the lone turn.
        if (turns.length > 1) {
          entryBytes = Buffer.byteLength(json) - 1;
        } else {
          const lone = open.find((m) => m.cmd.id === turns[0]!.cmd.id)!;
          lone.settled = true;
          const error = errors.TURN_TOO_LARGE(`${Buffer.byteLength(json)} bytes`, { cause: err });
          endTurnSpan(lone, 'dead-lettered', error);
          await this.settle(lone.msg, dispositionOf({ step: 'turn', error }));
        }
        attempt--; // not a fence retry
        continue;
      }
      if (!appended.ok) {
        this.stats.fenced++;
        await this.catchUp(cell);
        continue;
      }
      const traces = turnMails?.map(turnTrace);
      const effects = await this.commit(cell, entry, appended.seq, snapshot, json, traces);
      if (turnMails) markTurns(turnMails, turns, appended.seq);
      if (this.o.observer) this.observeEntry(cell, open.slice(0, out.consumed), turns.length, json);
      for (const t of turns) for (const id of t.cancels) this.scheduler.cancel(cell.address, id);
      for (const e of effects.started)
        this.scheduler.start(
          cell.address,
          e.spec,
          contexts[e.turnIndex],
          session,
          traces?.[e.turnIndex] ?? undefined,
        );
      for (const { mail, bytes } of out.substituted)
        await this.recordTooLargeResult(mail, bytes).catch(() => undefined);
      return rest;
    }
    throw errors.FENCED(`${cell.key}: gave up after ${MAX_FENCE_RETRIES} attempts`);
  }

  /** Tells the observer of a durable entry: its turns, bytes, and each carried command's latency. */
  private observeEntry(cell: ActorCell, carried: readonly Mail[], turns: number, json: string): void {
    const now = performance.now();
    const latencies: number[] = [];
    for (const m of carried) if (!m.settled && m.received !== undefined) latencies.push(now - m.received);
    this.o.observer?.entry(cell.kind.kind, turns, Buffer.byteLength(json), latencies);
  }

  /** A dead letter for an effect result applied as `effect.failed` (the command itself is acked). */
  private async recordTooLargeResult(mail: Mail, bytes: number): Promise<void> {
    this.stats.deadLetters++;
    const err = errors.RESULT_TOO_LARGE(`${bytes} bytes; applied as effect.failed`);
    this.o.observer?.deadLetter(err.code);
    const { msg } = mail;
    await this.deadLetters.publish(msg.subject, msg.info.streamSequence, msg.data, err);
  }

  // ---------------------------------------------------------------- order under retries

  /** Remembers `mails` as nak'ed for a retry: their actor's later commands wait for them. */
  private hold(key: string, mails: readonly Mail[]): void {
    if (mails.length === 0) return;
    let hold = this.holds.get(key);
    if (!hold) this.holds.set(key, (hold = new Map<number, number>()));
    const now = this.clock.now();
    for (const m of mails) hold.set(m.msg.info.streamSequence, now);
  }

  /**
   * True (and the command nak'ed) when an earlier command of the same actor is being retried.
   * The retried command itself passes, and releases its hold.
   */
  private heldBack(key: string, msg: JsMsg): boolean {
    const hold = this.holds.get(key);
    if (!hold) return false;
    const seq = msg.info.streamSequence;
    const now = this.clock.now();
    let first = Infinity;
    for (const [s, since] of hold) {
      // A retried command that never came back (another node applied it) stops holding.
      if (now - since > HOLD_MS) hold.delete(s);
      else if (s !== seq) first = Math.min(first, s);
    }
    if (first >= seq) {
      hold.delete(seq);
      if (hold.size === 0) this.holds.delete(key);
      return false;
    }
    this.stats.heldBack++;
    void this.settle(msg, dispositionOf(HELD));
    return true;
  }

  /**
   * Advances the cell to the appended entry at once (the journal already holds it) and queues the
   * cache write; resolves, with the entry's net effects, when the group commit that carries it is
   * durable.
   */
  private commit(
    cell: ActorCell,
    entry: AnyJournalEntry,
    seq: number,
    next: AnyMachineSnapshot,
    json = JSON.stringify(entry),
    /** per turn, the stored trace context of its turn span (tracing on) */
    traces?: ReadonlyArray<string | null>,
  ): Promise<ReturnType<typeof entryEffects>> {
    const turns = entryTurns(entry);
    const last = turns[turns.length - 1]!;
    const effects = entryEffects(turns);
    const line = `{"seq":${seq},"rec":${json}}`;
    const durable = this.committer.commit({
      session: entry.session,
      line,
      commit: {
        row: {
          key: cell.key,
          kind: cell.kind.kind,
          session: entry.session,
          turn: last.turn,
          last_seq: seq,
          state: last.state,
          status: last.status,
          snapshot: JSON.stringify(cell.host.persist(next)),
        },
        commandIds: turns.map((t) => t.cmd.id),
        seq,
        startedEffects: effects.started.map((e) => e.spec),
        ...(traces ? { effectTraces: effects.started.map((e) => traces[e.turnIndex] ?? null) } : {}),
        settledEffects: effects.settled,
      },
    });
    cell.snapshot = next;
    cell.turn = last.turn;
    cell.lastSeq = seq;
    cell.session = entry.session;
    this.stats.turns += turns.length;
    this.stats.entries++;
    return durable.then(
      () => {
        this.o.onEntry?.(line);
        return effects;
      },
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
    let last: Promise<unknown> = Promise.resolve();
    for await (const { seq, entry } of this.journal.readAfter(eventSubject(cell.address), cell.lastSeq)) {
      let snapshot = cell.snapshot;
      let next = cell.turn + 1;
      for (const record of turnsOf(entry)) {
        // Turns are consecutive per actor: a later one means the entries in between were purged
        // (bounded journal), and this actor has no snapshot that covers them. Never build on it.
        if (record.turn > next) {
          await last;
          throw this.purgedGap(cell, seq, record.turn);
        }
        next = record.turn + 1;
        const out = cell.host.apply(snapshot, eventFromRecord(record));
        if (stateString(out.next) !== record.state) {
          this.stats.divergences++;
          this.o.log.error(
            { actor: cell.key, seq, expected: record.state, got: stateString(out.next) },
            'replay diverged',
          );
        }
        snapshot = out.next;
        this.stats.caughtUp++;
      }
      last = this.commit(cell, entry, seq, snapshot);
    }
    await last;
    this.redrive(cell, this.o.store.pendingEffects(cell.key));
  }

  /** MOE_ERR_JOURNAL_PURGED for an actor whose next turn is no longer in the journal (logged). */
  private purgedGap(cell: ActorCell, seq: number, turn: number): Error {
    const detail =
      `${cell.key} is at turn ${cell.turn} (seq ${cell.lastSeq}) but the journal continues at turn ` +
      `${turn} (seq ${seq})`;
    this.o.log.error({ actor: cell.key, turn: cell.turn, lastSeq: cell.lastSeq, seq, next: turn }, detail);
    return errors.JOURNAL_PURGED(detail);
  }

  // ---------------------------------------------------------------- activation

  private cellFor(address: ActorAddress, kind: ActorKind): ActorCell {
    const key = addressKey(address);
    const existing = this.cells.get(key);
    if (existing) return existing;
    let host = this.hosts.get(kind.kind);
    if (!host) {
      host = new MachineHost(kind.machine);
      this.hosts.set(kind.kind, host);
    }
    const row = this.activation.cachedRow(key);
    const cell: ActorCell = {
      address,
      key,
      kind,
      host,
      snapshot: row ? host.restore(JSON.parse(row.snapshot)) : host.initial(),
      turn: row?.turn ?? 0,
      lastSeq: row?.last_seq ?? 0,
      session: row?.session ?? null,
      mailbox: [],
      draining: false,
      tail: Promise.resolve(),
      queued: 0,
      lastActive: this.clock.now(),
    };
    this.cells.set(key, cell);
    this.stats.activations++;
    this.activation.activated(cell, this.queueCatchUp);
    return cell;
  }

  /** Queues a rebuild from the journal first, so every command that finds the cell runs after it. */
  private readonly queueCatchUp = (cell: ActorCell): void =>
    void enqueue(
      cell,
      () => this.catchUp(cell),
      () => this.clock.now(),
    ).catch(() => undefined);

  private passivateIdle(idleMs: number): void {
    const now = this.clock.now();
    for (const [key, cell] of this.cells) {
      if (cell.queued === 0 && cell.mailbox.length === 0 && now - cell.lastActive >= idleMs) {
        this.cells.delete(key);
        this.stats.passivations++;
      }
    }
  }

  // ---------------------------------------------------------------- settling

  /** Dead-letters a command refused at intake (see disposition.ts). */
  private refuse(msg: JsMsg, error: unknown): Promise<void> | undefined {
    return this.settle(msg, dispositionOf({ step: 'intake', error }));
  }

  /** Acks, naks, dead-letters or leaves a command, as {@link dispositionOf} decided. */
  private settle(msg: JsMsg, disposition: Disposition): Promise<void> | undefined {
    if (disposition.action === 'dead-letter') {
      this.stats.deadLetters++;
      const { error } = disposition;
      this.o.observer?.deadLetter(error instanceof SchemaError ? errors.BAD_COMMAND.spec.code : error.code);
    }
    const lettered = settle(msg, disposition, this.deadLetters);
    if (lettered) {
      this.lettering.add(lettered);
      const done = () => void this.lettering.delete(lettered);
      lettered.then(done, done);
    }
    return lettered;
  }
}

/** Sets what the turn spans of an entry learned: their turn, the state it left, the entry's sequence. */
function markTurns(mails: ReadonlyArray<Mail | undefined>, turns: JournalEntry['turns'], seq: number): void {
  turns.forEach((t, i) =>
    mails[i]?.span?.setAttributes({
      [ATTR.turn]: t.turn,
      [ATTR.state]: t.state,
      [ATTR.entrySeq]: seq,
      [ATTR.entryTurns]: turns.length,
    }),
  );
}
