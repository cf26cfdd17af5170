/**
 * Costs for the console, from the gateway's usage projection (the same figures as `GET
 * /api/usage`): provider cost and customer price (integer µ$) and tokens, summed by org, by
 * workspace (a row's project names its workspace), by provider and by model, over the orgs the
 * caller sees. The projection has no time axis, so these are totals since the journal began.
 */
import { addTotals, emptyTotals, type UsageProjection, type UsageTotals } from '../usageProjection.js';
import type { TenancyProjection } from '../projection.js';
import type { Names } from './names.js';

export interface CostRow extends UsageTotals {
  readonly key: string;
  readonly label: string;
}

export interface Costs {
  readonly complete: boolean;
  readonly total: UsageTotals;
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
): Costs {
  const groups = {
    byOrg: new Map<string, CostRow>(),
    byWorkspace: new Map<string, CostRow>(),
    byProvider: new Map<string, CostRow>(),
    byModel: new Map<string, CostRow>(),
  };
  const add = (g: Map<string, CostRow>, key: string, label: string, t: UsageTotals) => {
    const row = g.get(key) ?? { key, label, ...emptyTotals() };
    addTotals(row, t);
    g.set(key, row);
  };
  const total = emptyTotals();
  for (const org of orgs) {
    for (const r of usage.rowsOf(org)) {
      addTotals(total, r);
      add(groups.byOrg, org, names.org(org), r);
      const ws = r.project === null ? null : (tenancy.projects.get(r.project)?.workspace ?? null);
      add(
        groups.byWorkspace,
        `${org}.${ws ?? '-'}`,
        `${names.org(org)} / ${ws === null ? '(no workspace)' : names.workspace(ws)}`,
        r,
      );
      add(groups.byProvider, r.provider, r.provider, r);
      add(groups.byModel, `${r.provider}/${r.model}`, `${r.provider} ${r.model}`, r);
    }
  }
  const sorted = (g: Map<string, CostRow>) =>
    [...g.values()].sort(
      (a, b) => (b.costMicros ?? 0) - (a.costMicros ?? 0) || a.label.localeCompare(b.label),
    );
  return {
    complete: usage.ready && usage.incomplete === null,
    total,
    byOrg: sorted(groups.byOrg),
    byWorkspace: sorted(groups.byWorkspace),
    byProvider: sorted(groups.byProvider),
    byModel: sorted(groups.byModel),
  };
}
