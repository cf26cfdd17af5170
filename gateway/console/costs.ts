/**
 * Costs for the console, from the gateway's usage projection (the same figures as `GET
 * /api/usage`): provider cost and customer price (integer µ$) and tokens, summed by org, by
 * workspace (a row's project names its workspace), by provider and by model, over the orgs the
 * caller sees — since the journal began, and split into **today** (the current UTC day) and
 * **this period** (the current UTC calendar month, the billing period) from the projection's
 * per-day rows.
 */
import {
  addTotals,
  emptyTotals,
  utcDay,
  type UsageProjection,
  type UsageTotals,
} from '../usageProjection.js';
import type { TenancyProjection } from '../projection.js';
import type { Names } from './names.js';

/** Cost and price of a span of days (µ$). */
export interface SpanTotals {
  calls: number;
  costMicros: number;
  priceMicros: number;
}

export interface CostRow extends UsageTotals {
  readonly key: string;
  readonly label: string;
  today: SpanTotals;
  period: SpanTotals;
}

export interface Costs {
  readonly complete: boolean;
  readonly total: UsageTotals;
  /** `YYYY-MM-DD` and its totals */
  readonly today: SpanTotals & { readonly day: string };
  /** `YYYY-MM` and its totals so far */
  readonly period: SpanTotals & { readonly month: string };
  readonly byOrg: readonly CostRow[];
  readonly byWorkspace: readonly CostRow[];
  readonly byProvider: readonly CostRow[];
  readonly byModel: readonly CostRow[];
}

export function costsOf(
  usage: UsageProjection,
  tenancy: TenancyProjection,
  names: Names,
  orgs: readonly string[],
  now = Date.now(),
): Costs {
  const groups = {
    byOrg: new Map<string, CostRow>(),
    byWorkspace: new Map<string, CostRow>(),
    byProvider: new Map<string, CostRow>(),
    byModel: new Map<string, CostRow>(),
  };
  const span = (): SpanTotals => ({ calls: 0, costMicros: 0, priceMicros: 0 });
  const rowOf = (g: Map<string, CostRow>, key: string, label: string): CostRow => {
    let row = g.get(key);
    if (!row) g.set(key, (row = { key, label, ...emptyTotals(), today: span(), period: span() }));
    return row;
  };
  const add = (g: Map<string, CostRow>, key: string, label: string, t: UsageTotals) =>
    addTotals(rowOf(g, key, label), t);
  const addSpan = (into: SpanTotals, d: SpanTotals) => {
    into.calls += d.calls;
    into.costMicros += d.costMicros;
    into.priceMicros += d.priceMicros;
  };
  const day = utcDay(now);
  const month = day.slice(0, 7);
  const today = { day, ...span() };
  const period = { month, ...span() };
  const wsOf = (project: string | null) =>
    project === null ? null : (tenancy.projects.get(project)?.workspace ?? null);
  const wsLabel = (org: string, ws: string | null) =>
    `${names.org(org)} / ${ws === null ? '(no workspace)' : names.workspace(ws)}`;
  const total = emptyTotals();
  for (const org of orgs) {
    for (const r of usage.rowsOf(org)) {
      addTotals(total, r);
      add(groups.byOrg, org, names.org(org), r);
      const ws = wsOf(r.project);
      add(groups.byWorkspace, `${org}.${ws ?? '-'}`, wsLabel(org, ws), r);
      add(groups.byProvider, r.provider, r.provider, r);
      add(groups.byModel, `${r.provider}/${r.model}`, `${r.provider} ${r.model}`, r);
    }
    for (const d of usage.daysOf(org)) {
      const spans = d.day === day ? [today, period] : d.day.startsWith(month) ? [period] : [];
      if (spans.length === 0) continue;
      const ws = wsOf(d.project);
      const rows = [
        rowOf(groups.byOrg, org, names.org(org)),
        rowOf(groups.byWorkspace, `${org}.${ws ?? '-'}`, wsLabel(org, ws)),
        rowOf(groups.byProvider, d.provider, d.provider),
        rowOf(groups.byModel, `${d.provider}/${d.model}`, `${d.provider} ${d.model}`),
      ];
      for (const sp of spans) addSpan(sp, d);
      for (const row of rows) {
        if (d.day === day) addSpan(row.today, d);
        addSpan(row.period, d);
      }
    }
  }
  const sorted = (g: Map<string, CostRow>) =>
    [...g.values()].sort(
      (a, b) => (b.costMicros ?? 0) - (a.costMicros ?? 0) || a.label.localeCompare(b.label),
    );
  return {
    complete: usage.ready && usage.incomplete === null,
    total,
    today,
    period,
    byOrg: sorted(groups.byOrg),
    byWorkspace: sorted(groups.byWorkspace),
    byProvider: sorted(groups.byProvider),
    byModel: sorted(groups.byModel),
  };
}
