/**
 * The `billing` actor (issue 12 item 2): one per workspace (id {@link BILLING_ACTOR_ID}), it
 * issues an invoice per period on a durable kernel timer and journals every invoice and its
 * delivery as typed events.
 *
 *   billing.start ─▶ timer at (period end + grace) ─fired─▶ invoice.issue effect ─result─▶ invoice.issued
 *                         ▲  re-armed for the next period                                  └▶ invoice.push ─▶ invoice.delivery
 *   invoice.issue (a closed period, on demand) ─▶ queued like a scheduled one (once per label)
 *   invoice.payment (Stripe webhook) ─▶ invoice.delivery
 *
 * - Periods are calendar months by default (or days), bounded at local midnight in the
 *   configured zone (UTC by default; billingPeriod.ts). `cursor` is the start of the first period
 *   the schedule has not issued; each tick issues [cursor, end of its period) and moves on. A node
 *   down for months catches up one period per tick (each re-armed timer is already due).
 * - The kernel clamps timers to ~24.8 days (setTimeout's limit): a tick earlier than its `fireAt`
 *   re-arms the same instant.
 * - Issuing is the `invoice.issue` effect; its request carries everything the invoice depends on
 *   (bounds, plan history, adjustments, issue time), so a re-drive after a crash recomputes the same
 *   invoice, and its recorded outcome is never recomputed. One issue runs at a time; others queue.
 * - Plan changes (`billing.plan`) are kept as a history of segments: the invoice prorates by them
 *   (workspace-node/billing/invoiceLines.ts). `billing.adjust` adds a one-off line to the next invoice.
 *
 * Pure: time only from the commands' `at`, effect ids from the turn (`fx`): index 0 the issue,
 * 1 the schedule timer, 2 the push. The actor never ends.
 */
import { enqueueActions, setup } from 'xstate';
import type { Invoice, InvoiceDelivery } from '../schemas/index.js';
import type { Adjustment, PlanSegment } from './billingEffects.js';
import {
  isTimeZone,
  lastClosedPeriod,
  periodOf,
  periodOfLabel,
  type BillingPeriod,
  type PeriodUnit,
} from './billingPeriod.js';
import { fx, kernelActions, type EffectRequest, type EmitRequest, type KernelEvent } from './contract.js';
import { noInputs, type EffectInputs } from './effects.js';
import { machineErrors } from './errors.js';

/** The id of a workspace's billing actor: `moe.cmd.<org>.<ws>.billing.billing`. */
export const BILLING_ACTOR_ID = 'billing';
/** How long after a period ends its invoice is issued by default: late calls of the period land first. */
export const DEFAULT_GRACE_MS = 5 * 60_000;
/** Plan changes kept (older ones are folded into the first kept). */
const MAX_PLAN_CHANGES = 200;

interface QueuedPeriod {
  label: string;
  start: number;
  end: number;
  timeZone: string;
  /** the turn time that queued it: the invoice's issuedAt */
  issuedAt: number;
}

export interface BillingContext {
  period: PeriodUnit;
  timeZone: string;
  graceMs: number;
  /** start (epoch ms) of the first period the schedule has not issued; null before the first command */
  cursor: number | null;
  timer: string | null;
  timerAt: number | null;
  /** the plan now; null: the node's configured plan for the org */
  plan: string | null;
  /** plan changes, oldest first */
  plans: PlanSegment[];
  /** adjustments for the next invoice */
  adjustments: Adjustment[];
  issuing: (QueuedPeriod & { effectId: string; adjustments: Adjustment[] }) | null;
  queue: QueuedPeriod[];
  /** labels of the periods issued */
  issued: string[];
  /** invoice id → its delivery status */
  invoices: Record<string, InvoiceDelivery['status']>;
  /** push effect id → invoice id */
  pushes: Record<string, string>;
}

type BillingEvent =
  | KernelEvent<'billing.start', Record<string, never>>
  | KernelEvent<'billing.configure', { period?: PeriodUnit; timeZone?: string; graceMs?: number }>
  | KernelEvent<'billing.plan', { plan: string }>
  | KernelEvent<'billing.adjust', { amountMicros: number; reason: string }>
  | KernelEvent<'invoice.issue', { label?: string }>
  | KernelEvent<
      'invoice.payment',
      {
        invoiceId: string;
        status: 'paid' | 'failed';
        provider?: string;
        externalId?: string;
        reason?: string;
      }
    >
  | KernelEvent<'timer.fired', { effectId: string }>
  | KernelEvent<'effect.result', { effectId: string; value: unknown }>
  | KernelEvent<'effect.failed', { effectId: string; error: { code: string; message: string } }>;

export const billingEffectInputs: EffectInputs<BillingContext> = {
  'invoice.issue': noInputs,
  'invoice.push': noInputs,
  timer: noInputs,
};

type KernelAction =
  | { type: 'effect'; params: EffectRequest }
  | { type: 'emit'; params: EmitRequest }
  | { type: 'cancel'; params: { effectId: string } };
type Enqueue = (a: KernelAction) => void;

/** The open period the cursor is in: [cursor, end of the configured period containing it). */
function currentPeriod(c: BillingContext, cursor: number): BillingPeriod {
  const p = periodOf(cursor, c.period, c.timeZone);
  return { ...p, start: cursor };
}

/** The plan segments of [start, end): the plan in effect at start, then the changes inside. */
export function planSegments(plans: readonly PlanSegment[], start: number, end: number): PlanSegment[] {
  let base: PlanSegment = { from: start, plan: null };
  const inside: PlanSegment[] = [];
  for (const s of plans) {
    if (s.from <= start) base = { from: start, plan: s.plan };
    else if (s.from < end) inside.push(s);
  }
  return [base, ...inside];
}

function configured(c: BillingContext, enqueue: Enqueue): void {
  if (c.cursor === null) return;
  const p = currentPeriod(c, c.cursor);
  enqueue({
    type: 'emit',
    params: {
      type: 'billing.configured',
      period: c.period,
      timeZone: c.timeZone,
      graceMs: c.graceMs,
      plan: c.plan,
      current: { label: p.label, start: p.start, end: p.end },
    },
  });
}

/** Arms the schedule timer for the cursor's period (cancelling an armed one). */
function arm(c: BillingContext, event: { turn: number }, enqueue: Enqueue): Partial<BillingContext> {
  if (c.cursor === null) return {};
  if (c.timer) enqueue({ type: 'cancel', params: { effectId: c.timer } });
  const id = fx(event, 1);
  const fireAt = currentPeriod(c, c.cursor).end + c.graceMs;
  enqueue({ type: 'effect', params: { id, kind: 'timer', fireAt } });
  return { timer: id, timerAt: fireAt };
}

/** The first command starts the schedule at the start of the period it falls in. */
function started(c: BillingContext, event: { at: number; turn: number }, enqueue: Enqueue): BillingContext {
  if (c.cursor !== null) return c;
  const next = { ...c, cursor: periodOf(event.at, c.period, c.timeZone).start };
  return { ...next, ...arm(next, event, enqueue) };
}

const known = (c: BillingContext, label: string) =>
  c.issued.includes(label) || c.issuing?.label === label || c.queue.some((q) => q.label === label);

/** Starts the next queued issue when none runs. */
function issueNext(c: BillingContext, event: { turn: number }, enqueue: Enqueue): BillingContext {
  if (c.issuing || c.queue.length === 0) return c;
  const [q, ...queue] = c.queue as [QueuedPeriod, ...QueuedPeriod[]];
  const effectId = fx(event, 0);
  const adjustments = c.adjustments.filter((a) => a.at < q.end);
  enqueue({
    type: 'effect',
    params: {
      id: effectId,
      kind: 'invoice.issue',
      label: q.label,
      start: q.start,
      end: q.end,
      timeZone: q.timeZone,
      issuedAt: q.issuedAt,
      plans: planSegments(c.plans, q.start, q.end),
      adjustments,
    },
  });
  return {
    ...c,
    queue,
    issuing: { ...q, effectId, adjustments },
    adjustments: c.adjustments.filter((a) => a.at >= q.end),
  };
}

const refused = (enqueue: Enqueue, command: string, e: { code: string; message: string }, detail: string) =>
  enqueue({
    type: 'emit',
    params: { type: 'billing.refused', command, code: e.code, reason: `${e.message}: ${detail}` },
  });

export const billingMachine = setup({
  types: { context: {} as BillingContext, events: {} as BillingEvent },
  actions: {
    ...kernelActions,
    start: enqueueActions(({ context, event, enqueue }) => {
      const was = context.cursor;
      const c = started(context, event, enqueue);
      if (was === null) configured(c, enqueue);
      enqueue.assign(c);
    }),
    configure: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'billing.configure') return;
      const { period, timeZone, graceMs } = event.data;
      if (timeZone !== undefined && !isTimeZone(timeZone)) {
        refused(enqueue, event.type, machineErrors.TIME_ZONE_UNKNOWN.spec, timeZone);
        return;
      }
      let c: BillingContext = {
        ...context,
        period: period ?? context.period,
        timeZone: timeZone ?? context.timeZone,
        graceMs: graceMs ?? context.graceMs,
      };
      const was = c.cursor;
      c = started(c, event, enqueue);
      if (was !== null) c = { ...c, ...arm(c, event, enqueue) };
      configured(c, enqueue);
      enqueue.assign(c);
    }),
    plan: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'billing.plan') return;
      const plans = [...context.plans, { from: event.at, plan: event.data.plan }].slice(-MAX_PLAN_CHANGES);
      const c = started({ ...context, plan: event.data.plan, plans }, event, enqueue);
      configured(c, enqueue);
      enqueue.assign(c);
    }),
    adjust: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'billing.adjust') return;
      const a: Adjustment = {
        at: event.at,
        amountMicros: event.data.amountMicros,
        reason: event.data.reason,
      };
      const c = started({ ...context, adjustments: [...context.adjustments, a] }, event, enqueue);
      enqueue.assign(c);
    }),
    /** On demand: queue a closed period (the last closed one when no label) unless it is known. */
    issueOnDemand: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'invoice.issue') return;
      let c = started(context, event, enqueue);
      const { label } = event.data;
      const p =
        label === undefined
          ? lastClosedPeriod(event.at, c.period, c.timeZone)
          : periodOfLabel(label, c.period, c.timeZone);
      if (!p) {
        refused(
          enqueue,
          event.type,
          machineErrors.PERIOD_INVALID.spec,
          `${label} (${c.period} in ${c.timeZone})`,
        );
        enqueue.assign(c);
        return;
      }
      if (p.end > event.at) {
        refused(
          enqueue,
          event.type,
          machineErrors.PERIOD_OPEN.spec,
          `${p.label} ends ${new Date(p.end).toISOString()}`,
        );
        enqueue.assign(c);
        return;
      }
      if (!known(c, p.label)) {
        c = { ...c, queue: [...c.queue, { ...p, issuedAt: event.at }] };
        // the schedule's own period issued early (before its grace ran out): the schedule moves on
        if (c.cursor !== null && c.cursor >= p.start && c.cursor < p.end) {
          c = { ...c, cursor: p.end };
          c = { ...c, ...arm(c, event, enqueue) };
          configured(c, enqueue);
        }
      }
      enqueue.assign(issueNext(c, event, enqueue));
    }),
    /** The schedule timer fired: issue the cursor's period when it is due, and arm the next. */
    tick: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'timer.fired' || context.cursor === null) return;
      let c: BillingContext = { ...context, timer: null };
      if (context.timerAt !== null && event.at < context.timerAt) {
        // fired early (the kernel clamps long timers): wait again for the same instant
        const id = fx(event, 1);
        enqueue({ type: 'effect', params: { id, kind: 'timer', fireAt: context.timerAt } });
        enqueue.assign({ timer: id });
        return;
      }
      const p = currentPeriod(c, context.cursor);
      if (!known(c, p.label)) c = { ...c, queue: [...c.queue, { ...p, issuedAt: event.at }] };
      c = { ...c, cursor: p.end };
      c = { ...c, ...arm(c, event, enqueue) };
      configured(c, enqueue);
      enqueue.assign(issueNext(c, event, enqueue));
    }),
    issuedOrFailed: enqueueActions(({ context, event, enqueue }) => {
      const issuing = context.issuing;
      if (!issuing || (event.type !== 'effect.result' && event.type !== 'effect.failed')) return;
      let c: BillingContext = { ...context, issuing: null };
      if (event.type === 'effect.result') {
        const invoice = event.data.value as Invoice;
        enqueue({ type: 'emit', params: { type: 'invoice.issued', invoice } });
        const pushId = fx(event, 2);
        enqueue({ type: 'effect', params: { id: pushId, kind: 'invoice.push', invoice } });
        c = {
          ...c,
          issued: [...c.issued, issuing.label],
          invoices: { ...c.invoices, [invoice.id]: 'not_sent' },
          pushes: { ...c.pushes, [pushId]: invoice.id },
        };
      } else {
        const { code, message } = event.data.error;
        enqueue({ type: 'emit', params: { type: 'invoice.failed', label: issuing.label, code, message } });
        // its adjustments go to the next invoice
        c = { ...c, adjustments: [...issuing.adjustments, ...c.adjustments] };
      }
      enqueue.assign(issueNext(c, event, enqueue));
    }),
    pushed: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'effect.result' && event.type !== 'effect.failed') return;
      const invoiceId = context.pushes[event.data.effectId];
      if (invoiceId === undefined) return;
      const delivery: InvoiceDelivery =
        event.type === 'effect.result'
          ? (event.data.value as InvoiceDelivery)
          : { status: 'not_sent', reason: `${event.data.error.code}: ${event.data.error.message}` };
      const pushes = { ...context.pushes };
      delete pushes[event.data.effectId];
      // a payment reported before the push returned is newer news: the push does not undo it
      const settled = ['paid', 'failed'].includes(context.invoices[invoiceId] ?? '');
      if (settled) {
        enqueue.assign({ pushes });
        return;
      }
      enqueue({ type: 'emit', params: { type: 'invoice.delivery', invoiceId, delivery, at: event.at } });
      enqueue.assign({ pushes, invoices: { ...context.invoices, [invoiceId]: delivery.status } });
    }),
    payment: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'invoice.payment') return;
      const { invoiceId, status, provider, externalId, reason } = event.data;
      const delivery: InvoiceDelivery = {
        status,
        ...(provider !== undefined ? { provider } : {}),
        ...(externalId !== undefined ? { externalId } : {}),
        ...(reason !== undefined ? { reason } : {}),
      };
      enqueue({ type: 'emit', params: { type: 'invoice.delivery', invoiceId, delivery, at: event.at } });
      enqueue.assign({ invoices: { ...context.invoices, [invoiceId]: status } });
    }),
  },
  guards: {
    isScheduleTimer: ({ context, event }) =>
      event.type === 'timer.fired' && event.data.effectId === context.timer,
    isIssue: ({ context, event }) =>
      (event.type === 'effect.result' || event.type === 'effect.failed') &&
      event.data.effectId === context.issuing?.effectId,
    isPush: ({ context, event }) =>
      (event.type === 'effect.result' || event.type === 'effect.failed') &&
      context.pushes[event.data.effectId] !== undefined,
    isKnownInvoice: ({ context, event }) =>
      event.type === 'invoice.payment' && context.invoices[event.data.invoiceId] !== undefined,
  },
}).createMachine({
  id: 'billing',
  initial: 'active',
  context: {
    period: 'month',
    timeZone: 'UTC',
    graceMs: DEFAULT_GRACE_MS,
    cursor: null,
    timer: null,
    timerAt: null,
    plan: null,
    plans: [],
    adjustments: [],
    issuing: null,
    queue: [],
    issued: [],
    invoices: {},
    pushes: {},
  },
  states: {
    active: {
      on: {
        'billing.start': { actions: 'start' },
        'billing.configure': { actions: 'configure' },
        'billing.plan': { actions: 'plan' },
        'billing.adjust': { actions: 'adjust' },
        'invoice.issue': { actions: 'issueOnDemand' },
        'invoice.payment': { guard: 'isKnownInvoice', actions: 'payment' },
        'timer.fired': { guard: 'isScheduleTimer', actions: 'tick' },
        'effect.result': [
          { guard: 'isIssue', actions: 'issuedOrFailed' },
          { guard: 'isPush', actions: 'pushed' },
        ],
        'effect.failed': [
          { guard: 'isIssue', actions: 'issuedOrFailed' },
          { guard: 'isPush', actions: 'pushed' },
        ],
      },
    },
  },
});
