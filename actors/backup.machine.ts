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
}

type Failure = { code: string; message: string };

type BackupEvent =
  | KernelEvent<'backup.request', { reason: BackupReason; force?: boolean }>
  | KernelEvent<'backup.schedule', { intervalMs?: number; enabled?: boolean }>
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
  return next(c, { failed: c.context.failed + 1 });
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
      enqueue.assign({ ...started, ...fired, ...armed });
    }),
    schedule: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'backup.schedule') return;
      const intervalMs = event.data.intervalMs ?? context.intervalMs;
      const scheduleEnabled = event.data.enabled ?? true;
      if (context.scheduleTimer) enqueue({ type: 'cancel', params: { effectId: context.scheduleTimer } });
      let scheduleTimer: string | null = null;
      if (scheduleEnabled) {
        scheduleTimer = fx(event);
        enqueue({
          type: 'effect',
          params: { id: scheduleTimer, kind: 'timer', fireAt: event.at + intervalMs },
        });
      }
      enqueue.assign({ intervalMs, scheduleEnabled, scheduleTimer });
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
        enqueue.assign(next(c, { skipped: context.skipped + 1, lastActivitySeq: result.activitySeq }));
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
      if (!result.ok) {
        enqueue.assign(
          fail(c, {
            code: result.code ?? 'MOE_ERR_BACKUP_INTEGRITY',
            message: `backup ${made.backupId} did not verify: ${result.message ?? 'no detail'}`,
          }),
        );
        return;
      }
      const effectId = fx(event);
      enqueue({ type: 'effect', params: { id: effectId, kind: 'journal.purge', backupId: made.backupId } });
      enqueue.assign({
        completed: context.completed + 1,
        lastActivitySeq: made.activitySeq,
        lastBackupId: made.backupId,
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
      enqueue.assign(next(c, {}));
    }),
    effectFailed: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'effect.failed') return;
      const { code, message } = event.data.error;
      enqueue.assign(fail({ context, event, enqueue: (a) => enqueue(a) }, { code, message }));
    }),
  },
  guards: {
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
  },
  on: {
    'backup.schedule': { actions: 'schedule' },
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
