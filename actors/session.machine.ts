/**
 * The `session` actor (seed 000): a user's working session in a workspace. Opened with an
 * 8-hour lease that can be renewed; when the lease runs out a durable timer fires and the
 * session is `expired` (renewing brings it back); `closed` is final.
 *
 * The session is the door for its tasks: `session.submit` is forwarded as `task.submit` to the
 * agent it names (`task.admitted`) while the lease holds at the command's `at`, and refused with
 * `task.refused` (MOE_ERR_SESSION_EXPIRED) once the lease end is before it — even when the timer has
 * not fired yet (a busy or recovering node): then the session moves to `expired` in that turn.
 * Either way `session.expired` is emitted once per expiry. On expiry and on close the session sends
 * `backup.request {reason: 'session-end'}` to the workspace's backup actor (backup.machine.ts).
 *
 * Pure: the lease end is computed from the command's `at`; the timer is a kernel effect.
 */
import { assign, enqueueActions, setup } from 'xstate';
import type { TaskSubmit } from '../schemas/index.js';
import { BACKUP_ACTOR_ID } from './backup.machine.js';
import { fx, kernelActions, type EffectRequest, type KernelEvent } from './contract.js';
import { noInputs, type EffectInputs } from './effects.js';
import { machineErrors } from './errors.js';

export const DEFAULT_LEASE_MS = 8 * 3600_000;

export interface SessionContext {
  user: string | null;
  title: string | null;
  openedAt: number;
  expiresAt: number;
  renewals: number;
  leaseTimer: string | null;
  closedReason: string | null;
  /**
   * Tasks admitted and refused; absent until the first one, so sessions without tasks (and every
   * journal older than session.submit) rebuild to the snapshots they stored.
   */
  admitted?: number;
  refused?: number;
}

type SessionEvent =
  | KernelEvent<'session.open', { user?: string; title?: string; leaseMs?: number }>
  | KernelEvent<'session.renew', { leaseMs?: number }>
  | KernelEvent<'session.close', { reason?: string }>
  | KernelEvent<'session.submit', { task: string; submit: TaskSubmit }>
  | KernelEvent<'timer.fired', { effectId: string }>
  | KernelEvent<'effect.result', { effectId: string; value: unknown }>
  | KernelEvent<'effect.failed', { effectId: string; error: { code: string; message: string } }>;

/** The session-end backup: an `actor.send` to the workspace's backup actor. */
const sessionEndBackup = (event: { turn: number }): EffectRequest => ({
  id: fx(event),
  kind: 'actor.send',
  to: { kind: 'backup', id: BACKUP_ACTOR_ID },
  type: 'backup.request',
  data: { reason: 'session-end' },
});

const leaseMs = (e: { data: { leaseMs?: number } }) => e.data.leaseMs ?? DEFAULT_LEASE_MS;

/** The effects a session emits: its lease timer, the tasks it admits, its session-end backup. */
export const sessionEffectInputs: EffectInputs<SessionContext> = { timer: noInputs, 'actor.send': noInputs };

export const sessionMachine = setup({
  types: { context: {} as SessionContext, events: {} as SessionEvent },
  actions: {
    ...kernelActions,
    renew: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'session.renew') return;
      const expiresAt = event.at + leaseMs(event);
      if (context.leaseTimer) enqueue({ type: 'cancel', params: { effectId: context.leaseTimer } });
      enqueue.assign({ expiresAt, renewals: context.renewals + 1, leaseTimer: fx(event) });
      enqueue({ type: 'effect', params: { id: fx(event), kind: 'timer', fireAt: expiresAt } });
      enqueue({ type: 'emit', params: { type: 'session.renewed', expiresAt } });
    }),
    close: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'session.close') return;
      if (context.leaseTimer) enqueue({ type: 'cancel', params: { effectId: context.leaseTimer } });
      enqueue.assign({ leaseTimer: null, closedReason: event.data.reason ?? null });
      enqueue({ type: 'emit', params: { type: 'session.closed', reason: event.data.reason ?? null } });
      enqueue({ type: 'effect', params: sessionEndBackup(event) });
    }),
    /** The lease ran out: by its timer, or found at a task's `at` before the timer fired. */
    expire: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'timer.fired' && context.leaseTimer)
        enqueue({ type: 'cancel', params: { effectId: context.leaseTimer } });
      enqueue.assign({ leaseTimer: null });
      enqueue({ type: 'emit', params: { type: 'session.expired', expiredAt: context.expiresAt } });
      enqueue({ type: 'effect', params: sessionEndBackup(event) });
    }),
    // Both assign a counter: a transition that changes nothing is "not accepted" for the kernel.
    admit: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'session.submit') return;
      const { task, submit } = event.data;
      enqueue.assign({ admitted: (context.admitted ?? 0) + 1 });
      enqueue({
        type: 'effect',
        params: {
          id: fx(event),
          kind: 'actor.send',
          to: { kind: 'agent', id: task },
          type: 'task.submit',
          data: submit,
        },
      });
      enqueue({ type: 'emit', params: { type: 'task.admitted', task } });
    }),
    refuse: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'session.submit') return;
      const { code } = machineErrors.SESSION_EXPIRED.spec;
      enqueue.assign({ refused: (context.refused ?? 0) + 1 });
      const reason = `the lease ended at ${context.expiresAt} (epoch ms), before the task at ${event.at}; renew the session`;
      enqueue({ type: 'emit', params: { type: 'task.refused', task: event.data.task, code, reason } });
    }),
  },
  guards: {
    isLeaseTimer: ({ context, event }) =>
      event.type === 'timer.fired' && event.data.effectId === context.leaseTimer,
    /** Expiry is decided on the journaled `at` alone: the lease end is before the command. */
    leaseRanOut: ({ context, event }) => context.expiresAt < event.at,
  },
}).createMachine({
  id: 'session',
  initial: 'new',
  context: {
    user: null,
    title: null,
    openedAt: 0,
    expiresAt: 0,
    renewals: 0,
    leaseTimer: null,
    closedReason: null,
  },
  states: {
    new: {
      on: {
        'session.open': {
          target: 'active',
          actions: [
            assign(({ event }) => ({
              user: event.data.user ?? null,
              title: event.data.title ?? null,
              openedAt: event.at,
              expiresAt: event.at + leaseMs(event),
              leaseTimer: fx(event),
            })),
            {
              type: 'effect',
              params: ({ event }) => ({ id: fx(event), kind: 'timer', fireAt: event.at + leaseMs(event) }),
            },
            {
              type: 'emit',
              params: ({ context }) => ({
                type: 'session.opened',
                expiresAt: context.expiresAt,
                user: context.user,
              }),
            },
          ],
        },
      },
    },
    active: {
      on: {
        'session.renew': { actions: 'renew' },
        'timer.fired': { guard: 'isLeaseTimer', target: 'expired', actions: 'expire' },
        'session.submit': [
          { guard: 'leaseRanOut', target: 'expired', actions: ['expire', 'refuse'] },
          { actions: 'admit' },
        ],
        'session.close': { target: 'closed', actions: 'close' },
      },
    },
    expired: {
      on: {
        'session.submit': { actions: 'refuse' },
        'session.renew': { target: 'active', actions: 'renew' },
        'session.close': { target: 'closed', actions: 'close' },
      },
    },
    closed: { type: 'final' },
  },
});
