/**
 * Budgets per org, workspace and project, as the nodes' limiter and the gateway's budget routes
 * both see them: one `moe_limits` KV key per budget (`budget.<org>`, `budget.<org>.ws.<ws>`,
 * `budget.<org>.project.<project>`) holding a {@link BudgetRecord}: the setting made over REST
 * (limit, period, alert thresholds) together with what the current period used and which alert
 * thresholds already fired in it. Keeping both in ONE value is what makes the limiter exact: a
 * reservation, a settlement, a new limit and an alert marker are each one compare-and-set of the
 * same key, so no two nodes overshoot and no two fire the same threshold.
 *
 * Money is integer micro-dollars of customer price (µ$). Periods are UTC: `2026-12` (month),
 * `2026-12-03` (day) or `total`.
 */
import { Type, type Static } from '@sinclair/typebox';
import { eventSchema } from './events.js';

export type BudgetScopeKind = 'org' | 'workspace' | 'project';

/** Which budget: the org's own, or one of its workspaces or projects. */
export interface BudgetScope {
  readonly kind: BudgetScopeKind;
  readonly org: string;
  /** the workspace or project id; the org id for an org budget */
  readonly id: string;
}

export const BUDGET_PERIODS = ['month', 'day', 'total'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

/** Percentages of the limit at which `budget.alert` fires, when a budget names none. */
export const DEFAULT_ALERT_THRESHOLDS: readonly number[] = [50, 80, 100];

/** What `PUT …/budget` sets (HTTP body) and the record keeps. */
export const BudgetSetting = Type.Object(
  {
    limitMicros: Type.Integer({ minimum: 0, description: 'customer price allowed per period, µ$' }),
    period: Type.Optional(
      Type.Union(
        BUDGET_PERIODS.map((p) => Type.Literal(p)),
        { description: 'UTC calendar month (default), UTC day, or in total' },
      ),
    ),
    thresholds: Type.Optional(
      Type.Array(Type.Integer({ minimum: 1, maximum: 1000 }), {
        maxItems: 10,
        description: 'alert thresholds in % of the limit; default [50, 80, 100]',
      }),
    ),
  },
  { $id: 'BudgetSetting', additionalProperties: false },
);
export type BudgetSetting = Static<typeof BudgetSetting>;

/** The value of a budget's KV key. */
export interface BudgetRecord {
  /** the current period's label (see {@link periodKey}) */
  readonly period: string;
  readonly usedMicros: number;
  /** set over REST; absent: the node's configured budget (orgs only) applies */
  readonly setting?: BudgetSetting;
  /** thresholds (%) whose alert this period already fired: the once-per-period marker */
  readonly alerted?: readonly number[];
  /** alerts fired on this budget so far, all periods: numbers the alerts' journal turns */
  readonly alerts?: number;
  /**
   * alerts marked but not yet confirmed journaled: the marking node clears its entry once the
   * publish is acknowledged; an entry left `claimedAt` long ago (the node died) is claimed and
   * published again by the next settlement of this budget, on any node
   */
  readonly pending?: readonly PendingAlert[];
}

/** An alert owed to the journal (see {@link BudgetRecord.pending}). */
export interface PendingAlert {
  readonly alert: BudgetAlert;
  /** the journal's workspace token (`_org` for an org budget) and the alert's turn */
  readonly ws: string;
  readonly seq: number;
  /** epoch ms the current publisher claimed it */
  readonly claimedAt: number;
  /** the node that claimed it (its node id): a restart of that node re-publishes it at once */
  readonly claimedBy?: string;
}

export function budgetKey(scope: BudgetScope): string {
  return scope.kind === 'org' ? `budget.${scope.org}` : `budget.${scope.org}.${scopeToken(scope)}`;
}

function scopeToken(scope: BudgetScope): string {
  return scope.kind === 'workspace' ? `ws.${scope.id}` : `project.${scope.id}`;
}

/** `2025-06` / `2025-06-30` / `total`, in UTC. */
export function periodKey(period: BudgetPeriod, now: number): string {
  if (period === 'total') return 'total';
  const iso = new Date(now).toISOString();
  return period === 'month' ? iso.slice(0, 7) : iso.slice(0, 10);
}

/** A budget's thresholds, ascending, without duplicates. */
export function thresholdsOf(setting: Pick<BudgetSetting, 'thresholds'>): number[] {
  return [...new Set(setting.thresholds ?? DEFAULT_ALERT_THRESHOLDS)].sort((a, b) => a - b);
}

/**
 * Where a budget's alerts are journaled: the pseudo-actor `moe.evt.<org>.<ws>.budget.<id>`, `ws`
 * being the budget's workspace (a project's workspace; `_org` for an org budget) and `id` the
 * scope (`org`, `ws-<ws>`, `project-<project>`).
 */
export const ORG_BUDGET_WS = '_org';

export function budgetActorId(scope: BudgetScope): string {
  return scope.kind === 'org' ? 'org' : scope.kind === 'workspace' ? `ws-${scope.id}` : `project-${scope.id}`;
}

/** The alert's stable id: receivers dedupe on it; JetStream dedupes its publish on it. */
export function budgetAlertId(scope: BudgetScope, period: string, threshold: number): string {
  return `ba-${scope.org}-${budgetActorId(scope)}-${period}-${threshold}`;
}

/** `budget.alert`: the journaled domain event, and the body of the signed webhook. */
export const BudgetEvents = {
  'budget.alert': eventSchema(
    'budget.alert',
    {
      id: Type.String({ description: 'stable alert id (one per budget, period and threshold)' }),
      org: Type.String(),
      scope: Type.Union([Type.Literal('org'), Type.Literal('workspace'), Type.Literal('project')]),
      scopeId: Type.String({ description: 'the org, workspace or project id' }),
      period: Type.String({ description: 'UTC period label: 2026-12, 2026-12-03 or total' }),
      threshold: Type.Integer({ minimum: 1, description: '% of the limit that was reached' }),
      limitMicros: Type.Integer({ minimum: 0 }),
      usedMicros: Type.Integer({ minimum: 0 }),
      at: Type.Number({ description: 'epoch ms the settlement crossed the threshold' }),
    },
    'a budget reached one of its alert thresholds (fires once per threshold per period)',
  ),
};
export type BudgetAlert = Static<(typeof BudgetEvents)['budget.alert']>;
