/**
 * The `session` actor (seed 000): a user's working session in a workspace. Opened with an
 * 8-hour lease that can be renewed; when the lease runs out a durable timer fires and the
 * session is `expired` (renewing brings it back); `closed` is final.
 *
 * Pure: the lease end is computed from the command's `at`; the timer is a kernel effect.
 */
import { assign, enqueueActions, setup } from 'xstate';
import { fx, kernelActions, type KernelEvent } from './contract.js';
import { noInputs, type EffectInputs } from './effects.js';

export const DEFAULT_LEASE_MS = 8 * 3600_000;

export interface SessionContext {
  user: string | null;
  title: string | null;
  openedAt: number;
  expiresAt: number;
  renewals: number;
  leaseTimer: string | null;
  closedReason: string | null;
}

type SessionEvent =
  | KernelEvent<'session.open', { user?: string; title?: string; leaseMs?: number }>
  | KernelEvent<'session.renew', { leaseMs?: number }>
  | KernelEvent<'session.close', { reason?: string }>
  | KernelEvent<'timer.fired', { effectId: string }>
  | KernelEvent<'effect.result', { effectId: string; value: unknown }>
  | KernelEvent<'effect.failed', { effectId: string; error: { code: string; message: string } }>;

const leaseMs = (e: { data: { leaseMs?: number } }) => e.data.leaseMs ?? DEFAULT_LEASE_MS;

/** The effects a session emits: its lease timer. */
export const sessionEffectInputs: EffectInputs<SessionContext> = { timer: noInputs };

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
    }),
  },
  guards: {
    isLeaseTimer: ({ context, event }) =>
      event.type === 'timer.fired' && event.data.effectId === context.leaseTimer,
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
        'timer.fired': {
          guard: 'isLeaseTimer',
          target: 'expired',
          actions: [
            assign({ leaseTimer: null }),
            {
              type: 'emit',
              params: ({ context }) => ({ type: 'session.expired', expiredAt: context.expiresAt }),
            },
          ],
        },
        'session.close': { target: 'closed', actions: 'close' },
      },
    },
    expired: {
      on: {
        'session.renew': { target: 'active', actions: 'renew' },
        'session.close': { target: 'closed', actions: 'close' },
      },
    },
    closed: { type: 'final' },
  },
});
