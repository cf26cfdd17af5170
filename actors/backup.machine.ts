/**
 * The `backup` actor (issue 8 item 2): one per workspace (id {@link BACKUP_ACTOR_ID}), it backs the
 * workspace up through its effects and journals every outcome as a typed event.
 *
 *   idle ──backup.request / schedule timer──▶ running ──backup.run result──▶ verifying ──ok──▶ purging ──▶ idle
 *                                               │  (snapshot + upload)            (backup.verify)  (journal.purge)
 *                                               └─ skipped (no new turns) ─▶ idle
 *
 * - `backup.run` snapshots and uploads (workspace-node/effects/backupRun.ts); it is skipped when the
 *   workspace's activity sequence (newest journal sequence of any other actor) is the one of the
 *   last backup, unless the request said `force`. `backup.verify` restores the new backup into a
 *   temp dir and checks it.
 * - `journal.purge` (issue 8 item 7, the bounded journal) follows every verified backup: the node
 *   purges the MOE_EVT entries that backup's manifest covers, keeping a tail per actor
 *   (workspace-node/effects/journalPurge.ts, which also applies MOE_JOURNAL_PURGE / _KEEP). When it
 *   returns (or gives up) the run ends: `backup.completed` and, in the same turn, `journal.purged`
 *   or `journal.purge.failed` (a failed purge does not fail the backup). So a run's outcome is
 *   still its last turn, and a request coalesced during the purge gets the next run's outcome.
 * - Retries: the kernel retries each effect (its retry policy); when an effect still fails, or the
 *   verification finds a problem, the machine starts the whole run again, up to
 *   {@link MAX_ATTEMPTS} attempts, then emits `backup.failed` and goes back to idle.
 * - A request (or schedule tick) while a run is in flight is coalesced into one more run after it:
 *   two backups of one workspace never run at once.
 * - The schedule: the first `backup.request` arms a durable timer every `intervalMs` (default
 *   {@link DEFAULT_BACKUP_INTERVAL_MS}); each tick is a `schedule` run, skipped when nothing changed.
 *   `backup.schedule` changes the interval or stops it.
 * - The verification schedule (issue 8 item 5): once a backup exists, a second durable timer every
 *   `verifyIntervalMs` (default {@link DEFAULT_VERIFY_INTERVAL_MS}) verifies the latest backup again
 *   (`backup.verify`, in any state: it only reads the store) and journals `backup.verified`.
 *   `backup.schedule {verifyIntervalMs?, verifyEnabled?}` changes or stops it.
 * - Status for the node's heartbeat (backupStatus.ts): when the last good backup was made, the last
 *   verification and the last failure are kept in the context.
 *
 * The actor never ends (no final state): `done`/`failed` are the events, not states. Pure: time
 * only from the commands' `at`, effect ids from the turn (`fx`).
 */
import { and, enqueueActions, setup } from 'xstate';
import type { BackupReason } from '../schemas/index.js';
import type { BackupRunResult, BackupVerifyResult, JournalPurgeResult } from './backupEffects.js';
import { fx, kernelActions, type EffectRequest, type EmitRequest, type KernelEvent } from './contract.js';
import { noInputs, type EffectInputs } from './effects.js';

/** The id of a workspace's backup actor: `moe.cmd.<org>.<ws>.backup.workspace`. */
export const BACKUP_ACTOR_ID = 'workspace';
export const DEFAULT_BACKUP_INTERVAL_MS = 15 * 60_000;
/** How often the latest backup is verified again, by default: once a day. */
export const DEFAULT_VERIFY_INTERVAL_MS = 24 * 3600_000;
/** Whole runs (snapshot, upload, verify) tried before `backup.failed`. */
export const MAX_ATTEMPTS = 3;

interface Run {
  reason: BackupReason;
  force: boolean;
  attempt: number;
  /** the effect in flight: backup.run while running, backup.verify while verifying, journal.purge while purging */
  effectId: string;
}

type Made = Extract<BackupRunResult, { skipped: false }>;

/** The last verification of a backup: right after it was made, or on the verification schedule. */
export interface VerifyRecord {
  /** the turn's time (epoch ms) */
  readonly at: number;
  readonly backupId: string;
  readonly ok: boolean;
  /** the first problem's code when not ok */
  readonly code: string | null;
  readonly scheduled: boolean;
}

/** The last `backup.failed`. */
export interface FailureRecord {
  readonly at: number;
  readonly code: string;
  readonly message: string;
}

export interface BackupContext {
  intervalMs: number;
  scheduleEnabled: boolean;
  scheduleTimer: string | null;
  run: Run | null;
  /** the backup written by the run in flight, while it is verified */
  made: Made | null;
  /** a request that came during a run: one more run afterwards */
  pending: { reason: BackupReason; force: boolean } | null;
  coalesced: number;
  lastActivitySeq: number | null;
  lastBackupId: string | null;
  completed: number;
  skipped: number;
  failed: number;
  // The fields below are absent in snapshots taken before they existed: read them with `??`.
  verifyIntervalMs?: number;
  verifyEnabled?: boolean;
  verifyTimer?: string | null;
  /** a scheduled verification in flight */
  verifyCheck?: { effectId: string; backupId: string } | null;
  /** when the last good backup was made (its manifest's time, epoch ms) */
  lastBackupAt?: number | null;
  /**
   * when the last good backup was last known to hold everything: made, or a later run skipped
   * because no turn came since (the recovery point; an idle workspace loses nothing)
   */
  lastCurrentAt?: number | null;
  lastVerify?: VerifyRecord | null;
  lastFailure?: FailureRecord | null;
}

type Failure = { code: string; message: string };

type BackupEvent =
  | KernelEvent<'backup.request', { reason: BackupReason; force?: boolean }>
  | KernelEvent<
      'backup.schedule',
      { intervalMs?: number; enabled?: boolean; verifyIntervalMs?: number; verifyEnabled?: boolean }
    >
  | KernelEvent<'timer.fired', { effectId: string }>
  | KernelEvent<'effect.result', { effectId: string; value: unknown }>
  | KernelEvent<'effect.failed', { effectId: string; error: { code: string; message: string } }>;

/** The effects a backup actor emits: its two steps and its schedule timer. */
export const backupEffectInputs: EffectInputs<BackupContext> = {
  'backup.run': noInputs,
  'backup.verify': noInputs,
  'journal.purge': noInputs,
  timer: noInputs,
};

/** A kernel action, as the helpers below enqueue it. */
type KernelAction =
  | { type: 'effect'; params: EffectRequest }
  | { type: 'emit'; params: EmitRequest }
  | { type: 'cancel'; params: { effectId: string } };
type Ctx = { context: BackupContext; event: BackupEvent; enqueue: (a: KernelAction) => void };

/** Starts attempt `attempt` of a run: `backup.started` and the `backup.run` effect `fx(event, index)`. */
function startRun(
  { context, event, enqueue }: Ctx,
  reason: BackupReason,
  force: boolean,
  attempt: number,
  index = 0,
): Partial<BackupContext> {
  const effectId = fx(event, index);
  enqueue({ type: 'emit', params: { type: 'backup.started', reason, attempt } });
  enqueue({
    type: 'effect',
    params: { id: effectId, kind: 'backup.run', skipIfSeq: force ? null : context.lastActivitySeq },
  });
  return { run: { reason, force, attempt, effectId }, made: null };
}

/** Arms the schedule timer `fx(event, index)` when the schedule is on and has none. */
function armSchedule({ context, event, enqueue }: Ctx, index: number): Partial<BackupContext> {
  if (!context.scheduleEnabled || context.scheduleTimer !== null) return {};
  const id = fx(event, index);
  enqueue({ type: 'effect', params: { id, kind: 'timer', fireAt: event.at + context.intervalMs } });
  return { scheduleTimer: id };
}

/** Arms the verification timer `fx(event, index)` when it is on, unarmed, and a backup exists. */
function armVerify({ context, event, enqueue }: Ctx, index: number): Partial<BackupContext> {
  if (context.verifyEnabled === false || (context.verifyTimer ?? null) !== null) return {};
  if (context.lastBackupId === null) return {};
  const id = fx(event, index);
  const fireAt = event.at + (context.verifyIntervalMs ?? DEFAULT_VERIFY_INTERVAL_MS);
  enqueue({ type: 'effect', params: { id, kind: 'timer', fireAt } });
  return { verifyTimer: id };
}

/** After a run: the next one when a request was coalesced, else nothing in flight. */
function next(c: Ctx, after: Partial<BackupContext>): Partial<BackupContext> {
  const { pending } = c.context;
  const context = { ...c.context, ...after };
  if (!pending) return { ...after, run: null, made: null };
  return { ...after, pending: null, ...startRun({ ...c, context }, pending.reason, pending.force, 1) };
}

/** The run failed (an effect gave up, or the verification found a problem): again, or `backup.failed`. */
function fail(c: Ctx, failure: Failure): Partial<BackupContext> {
  const run = c.context.run!;
  if (run.attempt < MAX_ATTEMPTS) return startRun(c, run.reason, run.force, run.attempt + 1);
  c.enqueue({
    type: 'emit',
    params: { type: 'backup.failed', reason: run.reason, ...failure, attempts: run.attempt },
  });
  return next(c, { failed: c.context.failed + 1, lastFailure: { at: c.event.at, ...failure } });
}

const isRunning = (c: BackupContext) => c.run !== null;

export const backupMachine = setup({
  types: { context: {} as BackupContext, events: {} as BackupEvent },
  actions: {
    ...kernelActions,
    /** A request, or a schedule tick: start a run, or coalesce it into one more run. */
    request: enqueueActions(({ context, event, enqueue }) => {
      const c: Ctx = { context, event, enqueue: (a) => enqueue(a) };
      if (event.type !== 'backup.request' && event.type !== 'timer.fired') return;
      const reason: BackupReason = event.type === 'backup.request' ? event.data.reason : 'schedule';
      const force = event.type === 'backup.request' && event.data.force === true;
      const started: Partial<BackupContext> = isRunning(context)
        ? {
            // coalesced: one more run after this one (the first reason waiting is kept)
            pending: {
              reason: context.pending?.reason ?? reason,
              force: force || context.pending?.force === true,
            },
            coalesced: context.coalesced + 1,
          }
        : startRun(c, reason, force, 1);
      // a tick re-arms the schedule; a request arms it when it is on and not armed (fx index 1:
      // index 0 is the run's)
      const fired = event.type === 'timer.fired' ? { scheduleTimer: null } : {};
      const armed = armSchedule({ ...c, context: { ...context, ...fired } }, 1);
      // a workspace backed up before the verification schedule existed gets it here (index 2)
      const verifyArmed = armVerify(c, 2);
      enqueue.assign({ ...started, ...fired, ...armed, ...verifyArmed });
    }),
    schedule: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'backup.schedule') return;
      const { data } = event;
      const aboutVerify = data.verifyIntervalMs !== undefined || data.verifyEnabled !== undefined;
      const aboutBackup = data.intervalMs !== undefined || data.enabled !== undefined || !aboutVerify;
      let changed: Partial<BackupContext> = {};
      if (aboutBackup) {
        const intervalMs = data.intervalMs ?? context.intervalMs;
        const scheduleEnabled = data.enabled ?? true;
        if (context.scheduleTimer) enqueue({ type: 'cancel', params: { effectId: context.scheduleTimer } });
        let scheduleTimer: string | null = null;
        if (scheduleEnabled) {
          scheduleTimer = fx(event);
          enqueue({
            type: 'effect',
            params: { id: scheduleTimer, kind: 'timer', fireAt: event.at + intervalMs },
          });
        }
        changed = { intervalMs, scheduleEnabled, scheduleTimer };
      }
      if (aboutVerify) {
        // the verification schedule restarts from now with the new interval (index 1)
        if (context.verifyTimer) enqueue({ type: 'cancel', params: { effectId: context.verifyTimer } });
        const verify: Partial<BackupContext> = {
          verifyIntervalMs: data.verifyIntervalMs ?? context.verifyIntervalMs ?? DEFAULT_VERIFY_INTERVAL_MS,
          verifyEnabled: data.verifyEnabled ?? true,
          verifyTimer: null,
        };
        const c: Ctx = { context: { ...context, ...verify }, event, enqueue: (a) => enqueue(a) };
        changed = { ...changed, ...verify, ...armVerify(c, 1) };
      }
      enqueue.assign(changed);
    }),
    /** The verification timer fired: verify the latest backup (unless one is being checked), re-arm. */
    scheduledVerify: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'timer.fired') return;
      const c: Ctx = { context: { ...context, verifyTimer: null }, event, enqueue: (a) => enqueue(a) };
      let check: Partial<BackupContext> = {};
      if (context.lastBackupId !== null && !context.verifyCheck) {
        const effectId = fx(event);
        enqueue({
          type: 'effect',
          params: { id: effectId, kind: 'backup.verify', backupId: context.lastBackupId },
        });
        check = { verifyCheck: { effectId, backupId: context.lastBackupId } };
      }
      enqueue.assign({ verifyTimer: null, ...check, ...armVerify(c, 1) });
    }),
    /** A scheduled verification returned (or its effect gave up): `backup.verified`. */
    scheduledVerified: enqueueActions(({ context, event, enqueue }) => {
      const check = context.verifyCheck;
      if (!check || (event.type !== 'effect.result' && event.type !== 'effect.failed')) return;
      const result: BackupVerifyResult =
        event.type === 'effect.result'
          ? (event.data.value as BackupVerifyResult)
          : { ok: false, code: event.data.error.code, message: event.data.error.message, problems: 1 };
      const code = result.ok ? null : (result.code ?? 'MOE_ERR_BACKUP_INTEGRITY');
      enqueue({
        type: 'emit',
        params: {
          type: 'backup.verified',
          backupId: check.backupId,
          ok: result.ok,
          problems: result.problems ?? (result.ok ? 0 : 1),
          ...(code !== null ? { code, message: result.message ?? 'no detail' } : {}),
          at: event.at,
        },
      });
      enqueue.assign({
        verifyCheck: null,
        lastVerify: { at: event.at, backupId: check.backupId, ok: result.ok, code, scheduled: true },
      });
    }),
    /** `backup.run` returned: skipped, or verify what it wrote. */
    ran: enqueueActions(({ context, event, enqueue }) => {
      const c: Ctx = { context, event, enqueue: (a) => enqueue(a) };
      if (event.type !== 'effect.result') return;
      const result = event.data.value as BackupRunResult;
      const run = context.run!;
      if (result.skipped) {
        enqueue({
          type: 'emit',
          params: {
            type: 'backup.skipped',
            reason: run.reason,
            journalSeq: result.activitySeq,
            backupId: context.lastBackupId,
          },
        });
        const current = context.lastBackupId !== null ? { lastCurrentAt: event.at } : {};
        enqueue.assign(
          next(c, { skipped: context.skipped + 1, lastActivitySeq: result.activitySeq, ...current }),
        );
        return;
      }
      const effectId = fx(event);
      enqueue({ type: 'effect', params: { id: effectId, kind: 'backup.verify', backupId: result.backupId } });
      enqueue.assign({ made: result, run: { ...run, effectId } });
    }),
    /** `backup.verify` returned: the journal purge (then `backup.completed`), or the run failed. */
    verified: enqueueActions(({ context, event, enqueue }) => {
      const c: Ctx = { context, event, enqueue: (a) => enqueue(a) };
      if (event.type !== 'effect.result') return;
      const result = event.data.value as BackupVerifyResult;
      const run = context.run!;
      const made = context.made!;
      const code = result.ok ? null : (result.code ?? 'MOE_ERR_BACKUP_INTEGRITY');
      const lastVerify: VerifyRecord = {
        at: event.at,
        backupId: made.backupId,
        ok: result.ok,
        code,
        scheduled: false,
      };
      if (code !== null) {
        enqueue.assign({
          ...fail(c, {
            code,
            message: `backup ${made.backupId} did not verify: ${result.message ?? 'no detail'}`,
          }),
          lastVerify,
        });
        return;
      }
      const effectId = fx(event);
      enqueue({ type: 'effect', params: { id: effectId, kind: 'journal.purge', backupId: made.backupId } });
      enqueue.assign({
        completed: context.completed + 1,
        lastActivitySeq: made.activitySeq,
        lastBackupId: made.backupId,
        lastBackupAt: made.createdAt ?? event.at,
        lastCurrentAt: made.createdAt ?? event.at,
        lastVerify,
        run: { ...run, effectId },
      });
    }),
    /**
     * `journal.purge` returned or gave up: the run's outcome, `backup.completed`, with what the purge
     * did; then the next run, if any.
     */
    purged: enqueueActions(({ context, event, enqueue }) => {
      const c: Ctx = { context, event, enqueue: (a) => enqueue(a) };
      if (event.type !== 'effect.result' && event.type !== 'effect.failed') return;
      const run = context.run!;
      const made = context.made!;
      const backupId = made.backupId;
      enqueue({
        type: 'emit',
        params: {
          type: 'backup.completed',
          reason: run.reason,
          backupId,
          journalSeq: made.journalSeq,
          objects: made.objects,
          bytes: made.bytes,
          uploaded: made.uploaded,
          attempts: run.attempt,
        },
      });
      if (event.type === 'effect.result') {
        const r = event.data.value as JournalPurgeResult;
        enqueue({
          type: 'emit',
          params: {
            type: 'journal.purged',
            backupId,
            subjects: r.subjects,
            entries: r.entries,
            keep: r.keep,
            ...(r.skipped ? { skipped: r.skipped } : {}),
          },
        });
      } else {
        const { code, message } = event.data.error;
        enqueue({ type: 'emit', params: { type: 'journal.purge.failed', backupId, code, message } });
      }
      // the first good backup starts the verification schedule (index 1: `next` may use 0)
      enqueue.assign({ ...next(c, {}), ...armVerify(c, 1) });
    }),
    effectFailed: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'effect.failed') return;
      const { code, message } = event.data.error;
      enqueue.assign(fail({ context, event, enqueue: (a) => enqueue(a) }, { code, message }));
    }),
  },
  guards: {
    isVerifyTimer: ({ context, event }) =>
      event.type === 'timer.fired' && event.data.effectId === (context.verifyTimer ?? null),
    isScheduledVerify: ({ context, event }) =>
      (event.type === 'effect.result' || event.type === 'effect.failed') &&
      event.data.effectId === context.verifyCheck?.effectId,
    isScheduleTimer: ({ context, event }) =>
      event.type === 'timer.fired' && event.data.effectId === context.scheduleTimer,
    isCurrentEffect: ({ context, event }) =>
      (event.type === 'effect.result' || event.type === 'effect.failed') &&
      event.data.effectId === context.run?.effectId,
    runSkipped: ({ event }) =>
      event.type === 'effect.result' && (event.data.value as BackupRunResult | null)?.skipped === true,
    hasPending: ({ context }) => context.pending !== null,
    canRetry: ({ context }) => (context.run?.attempt ?? MAX_ATTEMPTS) < MAX_ATTEMPTS,
    verifyFailed: ({ event }) =>
      event.type === 'effect.result' && (event.data.value as BackupVerifyResult | null)?.ok !== true,
  },
}).createMachine({
  id: 'backup',
  initial: 'idle',
  context: {
    intervalMs: DEFAULT_BACKUP_INTERVAL_MS,
    scheduleEnabled: true,
    scheduleTimer: null,
    run: null,
    made: null,
    pending: null,
    coalesced: 0,
    lastActivitySeq: null,
    lastBackupId: null,
    completed: 0,
    skipped: 0,
    failed: 0,
    verifyIntervalMs: DEFAULT_VERIFY_INTERVAL_MS,
    verifyEnabled: true,
    verifyTimer: null,
    verifyCheck: null,
    lastBackupAt: null,
    lastCurrentAt: null,
    lastVerify: null,
    lastFailure: null,
  },
  // Handled in every state (a state's own transitions for these events come first; when their
  // guards do not match, these apply): the schedules and the scheduled verification.
  on: {
    'backup.schedule': { actions: 'schedule' },
    'timer.fired': { guard: 'isVerifyTimer', actions: 'scheduledVerify' },
    'effect.result': { guard: 'isScheduledVerify', actions: 'scheduledVerified' },
    'effect.failed': { guard: 'isScheduledVerify', actions: 'scheduledVerified' },
  },
  states: {
    idle: {
      on: {
        'backup.request': { target: 'running', actions: 'request' },
        'timer.fired': { guard: 'isScheduleTimer', target: 'running', actions: 'request' },
      },
    },
    running: {
      on: {
        'backup.request': { actions: 'request' },
        'timer.fired': { guard: 'isScheduleTimer', actions: 'request' },
        'effect.result': [
          {
            guard: and(['isCurrentEffect', 'runSkipped', 'hasPending']),
            target: 'running',
            reenter: true,
            actions: 'ran',
          },
          { guard: and(['isCurrentEffect', 'runSkipped']), target: 'idle', actions: 'ran' },
          { guard: 'isCurrentEffect', target: 'verifying', actions: 'ran' },
        ],
        'effect.failed': [
          {
            guard: and(['isCurrentEffect', 'canRetry']),
            target: 'running',
            reenter: true,
            actions: 'effectFailed',
          },
          {
            guard: and(['isCurrentEffect', 'hasPending']),
            target: 'running',
            reenter: true,
            actions: 'effectFailed',
          },
          { guard: 'isCurrentEffect', target: 'idle', actions: 'effectFailed' },
        ],
      },
    },
    verifying: {
      on: {
        'backup.request': { actions: 'request' },
        'timer.fired': { guard: 'isScheduleTimer', actions: 'request' },
        'effect.result': [
          {
            guard: and(['isCurrentEffect', 'verifyFailed', 'canRetry']),
            target: 'running',
            actions: 'verified',
          },
          {
            guard: and(['isCurrentEffect', 'verifyFailed', 'hasPending']),
            target: 'running',
            actions: 'verified',
          },
          { guard: and(['isCurrentEffect', 'verifyFailed']), target: 'idle', actions: 'verified' },
          { guard: 'isCurrentEffect', target: 'purging', actions: 'verified' },
        ],
        'effect.failed': [
          { guard: and(['isCurrentEffect', 'canRetry']), target: 'running', actions: 'effectFailed' },
          { guard: and(['isCurrentEffect', 'hasPending']), target: 'running', actions: 'effectFailed' },
          { guard: 'isCurrentEffect', target: 'idle', actions: 'effectFailed' },
        ],
      },
    },
    /** The backup verified; its journal purge runs. Requests wait for it (coalesced). */
    purging: {
      on: {
        'backup.request': { actions: 'request' },
        'timer.fired': { guard: 'isScheduleTimer', actions: 'request' },
        'effect.result': [
          { guard: and(['isCurrentEffect', 'hasPending']), target: 'running', actions: 'purged' },
          { guard: 'isCurrentEffect', target: 'idle', actions: 'purged' },
        ],
        'effect.failed': [
          { guard: and(['isCurrentEffect', 'hasPending']), target: 'running', actions: 'purged' },
          { guard: 'isCurrentEffect', target: 'idle', actions: 'purged' },
        ],
      },
    },
  },
});
