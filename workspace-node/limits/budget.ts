/**
 * Budgets (org, workspace, project): the most a scope may be charged (customer price, µ$) per
 * period — a UTC calendar month, a UTC day, or in total. One KV key per budget holds its
 * {@link BudgetRecord} (schemas/budgets.ts): the setting made over REST, what the period used, and
 * the alert thresholds that already fired. Reservations add their estimate, settlements replace it
 * with the real price. A new period starts from zero (and with no alert fired) in the write that
 * first counts it.
 *
 * Pure functions; `limiter.ts` runs them inside `casUpdate`, so each decision — admit or refuse,
 * which threshold fires — is taken on exactly the value the write replaces.
 */
import {
  budgetKey,
  periodKey,
  thresholdsOf,
  type BudgetPeriod,
  type BudgetRecord,
  type BudgetScope,
  type BudgetSetting,
  type PendingAlert,
} from '../../schemas/index.js';
import { errors } from '../errors.js';

export { budgetKey, periodKey, type BudgetPeriod, type BudgetRecord, type BudgetScope };

/** A budget in force: the limit and its period (thresholds default to 50/80/100 %). */
export interface OrgBudget {
  /** customer price allowed per period, µ$ */
  readonly limitMicros: number;
  readonly period: BudgetPeriod;
  readonly thresholds?: readonly number[];
}

/** The record's counters (kept for callers of the org-only limiter). */
export type BudgetState = BudgetRecord;

/** The budget that applies: the one set over REST, else the configured one (`fallback`). */
export function budgetInForce(record: BudgetRecord | undefined, fallback?: OrgBudget): OrgBudget | undefined {
  const s = record?.setting;
  if (s) return { limitMicros: s.limitMicros, period: s.period ?? 'month', ...thresholdsField(s) };
  return fallback;
}

function thresholdsField(s: BudgetSetting): { thresholds?: readonly number[] } {
  return s.thresholds ? { thresholds: s.thresholds } : {};
}

/** The record as of `period`: a record of an earlier period starts over from zero. */
function inPeriod(current: BudgetRecord | undefined, period: string): BudgetRecord {
  if (current && current.period === period) return current;
  const { setting, alerts, pending } = current ?? {};
  return {
    period,
    usedMicros: 0,
    ...(setting ? { setting } : {}),
    ...(alerts ? { alerts } : {}),
    ...(pending?.length ? { pending } : {}),
  };
}

export function describeScope(scope: BudgetScope): string {
  return scope.kind === 'org' ? `org ${scope.org}` : `${scope.kind} ${scope.id} of org ${scope.org}`;
}

/** Counts `micros` against the budget, or throws MOE_ERR_BUDGET_EXCEEDED naming the scope. */
export function reserveBudget(
  current: BudgetRecord | undefined,
  period: string,
  budget: OrgBudget,
  micros: number,
  scope: BudgetScope,
): BudgetRecord {
  const rec = inPeriod(current, period);
  const used = rec.usedMicros;
  if (used + micros > budget.limitMicros) {
    throw errors.BUDGET_EXCEEDED(
      `${describeScope(scope)}: ${used} of ${budget.limitMicros} µ$ used this ${budget.period}`,
      {
        details: {
          scope: scope.kind,
          scopeId: scope.id,
          org: scope.org,
          period,
          usedMicros: used,
          limitMicros: budget.limitMicros,
          requestedMicros: micros,
        },
      },
    );
  }
  return { ...rec, usedMicros: used + micros };
}

/**
 * Applies a settlement or release (`deltaMicros`) within `period`, and marks every threshold the
 * new total reaches that has not fired this period: those are returned in `fired` and are this
 * write's to announce — the compare-and-set lets only one writer mark each.
 */
export function adjustBudget(
  current: BudgetRecord | undefined,
  period: string,
  deltaMicros: number,
  budget?: OrgBudget,
): { record: BudgetRecord | undefined; fired: number[] } {
  if (!current || current.period !== period) return { record: current, fired: [] };
  const usedMicros = Math.max(0, current.usedMicros + deltaMicros);
  const fired = budget ? crossed(current.alerted ?? [], usedMicros, budget) : [];
  if (usedMicros === current.usedMicros && fired.length === 0) return { record: current, fired };
  const record: BudgetRecord = {
    ...current,
    usedMicros,
    ...(fired.length
      ? { alerted: [...(current.alerted ?? []), ...fired], alerts: (current.alerts ?? 0) + fired.length }
      : {}),
  };
  return { record, fired };
}

/** Thresholds (%) reached by `usedMicros` and not yet in `alerted`. */
export function crossed(alerted: readonly number[], usedMicros: number, budget: OrgBudget): number[] {
  if (budget.limitMicros <= 0) return [];
  return thresholdsOf(budget.thresholds ? { thresholds: [...budget.thresholds] } : {}).filter(
    (t) => !alerted.includes(t) && usedMicros * 100 >= t * budget.limitMicros,
  );
}

/** How long a marked alert may stay unconfirmed before another settlement publishes it again. */
export const PENDING_ALERT_STALE_MS = 30_000;

/**
 * Claims the alerts owed by `record`: the `fresh` ones this write marked, and those another
 * publisher claimed more than {@link PENDING_ALERT_STALE_MS} ago (it died before confirming).
 * Returns the record with them (re)claimed at `now`, and the ones to publish.
 */
export function claimPending(
  record: BudgetRecord,
  fresh: readonly PendingAlert[],
  now: number,
  owner?: string,
): { record: BudgetRecord; claimed: PendingAlert[] } {
  const owed = record.pending ?? [];
  const stale = owed.filter((p) => now - p.claimedAt >= PENDING_ALERT_STALE_MS);
  if (!fresh.length && !stale.length) return { record, claimed: [] };
  const by = owner ? { claimedBy: owner } : {};
  const claimed = [...stale.map((p) => ({ ...p, claimedAt: now, ...by })), ...fresh];
  const kept = owed.filter((p) => now - p.claimedAt < PENDING_ALERT_STALE_MS);
  return { record: { ...record, pending: [...kept, ...claimed] }, claimed };
}

/**
 * Claims, at a node's start or on its periodic sweep (limiter.ts `recoverAlerts`), the pending
 * alerts no live publisher holds: those claimed by `owner` before this process started (the node
 * died between marking and publishing, and came back), and those whose claim is stale (another
 * node died). Returns the record with them reclaimed at `now` by `owner`, and the ones to publish.
 */
export function claimRecoverable(
  record: BudgetRecord,
  now: number,
  owner: string | undefined,
  since: number,
): { record: BudgetRecord; claimed: PendingAlert[] } {
  const owed = record.pending ?? [];
  const dead = (p: PendingAlert) =>
    now - p.claimedAt >= PENDING_ALERT_STALE_MS ||
    (owner !== undefined && p.claimedBy === owner && p.claimedAt < since);
  const claimed = owed
    .filter(dead)
    .map((p) => ({ ...p, claimedAt: now, ...(owner ? { claimedBy: owner } : {}) }));
  if (!claimed.length) return { record, claimed };
  return { record: { ...record, pending: [...owed.filter((p) => !dead(p)), ...claimed] }, claimed };
}

/** The record without the pending alert `id` (its publish was acknowledged). */
export function confirmPending(current: BudgetRecord | undefined, id: string): BudgetRecord | undefined {
  if (!current?.pending?.some((p) => p.alert.id === id)) return current;
  const pending = current.pending.filter((p) => p.alert.id !== id);
  const { pending: _all, ...rest } = current;
  return pending.length ? { ...rest, pending } : rest;
}
