/**
 * Organisation budgets: the most an org may be charged (customer price, µ$) per period — a UTC
 * calendar month, a UTC day, or in total. One KV key per org holds `{ period, usedMicros }`;
 * reservations add their estimate, settlements replace it with the real price. Like the rate
 * windows, a new period starts from zero in the write that first counts it.
 *
 * Pure functions; `limiter.ts` runs them inside `casUpdate`.
 */
import { errors } from '../errors.js';

export type BudgetPeriod = 'month' | 'day' | 'total';

export interface OrgBudget {
  /** customer price allowed per period, µ$ */
  readonly limitMicros: number;
  readonly period: BudgetPeriod;
}

export interface BudgetState {
  readonly period: string;
  readonly usedMicros: number;
}

export function budgetKey(org: string): string {
  return `budget.${org}`;
}

/** `2025-06` / `2025-06-30` / `total`, in UTC. */
export function periodKey(period: BudgetPeriod, now: number): string {
  if (period === 'total') return 'total';
  const iso = new Date(now).toISOString();
  return period === 'month' ? iso.slice(0, 7) : iso.slice(0, 10);
}

export function reserveBudget(
  current: BudgetState | undefined,
  period: string,
  budget: OrgBudget,
  micros: number,
  org: string,
): BudgetState {
  const used = current && current.period === period ? current.usedMicros : 0;
  if (used + micros > budget.limitMicros) {
    throw errors.BUDGET_EXCEEDED(`${org}: ${used} of ${budget.limitMicros} µ$ used this ${budget.period}`, {
      details: { org, period, usedMicros: used, limitMicros: budget.limitMicros, requestedMicros: micros },
    });
  }
  return { period, usedMicros: used + micros };
}

export function adjustBudget(
  current: BudgetState | undefined,
  period: string,
  deltaMicros: number,
): BudgetState | undefined {
  if (!current || current.period !== period) return current;
  return { period, usedMicros: Math.max(0, current.usedMicros + deltaMicros) };
}
