/**
 * Usage analytics answers, computed from the projection's time buckets (usageBuckets.ts): over a
 * range [from, to), for an org or one workspace, the rows per project, agent, provider and model
 * (the shape `GET /api/usage` always had), optional groups by one dimension (`groupBy`:
 * provider, agent, project, model or day — a UTC day, `YYYY-MM-DD`), and the total. Money is
 * integer micro-dollars (µ$): `costMicros` what providers charge us, `priceMicros` what the
 * customer pays, `marginMicros` = price − cost. Pure; the routes apply tenancy and visibility.
 */
import type { BucketFilter, BucketRow } from './usageBuckets.js';
import type { UsageProjection, UsageRow } from './usageProjection.js';
import { addTotals, emptyTotals, marginOf, type UsageTotals } from './usageTotals.js';

export const GROUP_BY = ['provider', 'agent', 'project', 'model', 'day'] as const;
export type UsageGroupBy = (typeof GROUP_BY)[number];

export type WithMargin<T extends UsageTotals> = T & { marginMicros: number | null };

export interface UsageGroup extends UsageTotals {
  /** the provider, agent, project (null: outside any project), model or UTC day `YYYY-MM-DD` */
  key: string | null;
  marginMicros: number | null;
}

export interface UsageAnswer {
  rows: WithMargin<UsageRow>[];
  groups?: UsageGroup[];
  total: WithMargin<UsageTotals>;
}

export const withMargin = <T extends UsageTotals>(t: T): WithMargin<T> => ({
  ...t,
  marginMicros: marginOf(t),
});

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** the UTC day of a bucket start, memoized on the last start (rows come bucket by bucket) */
function dayKeys(): (start: number) => string {
  let last = Number.NaN;
  let key = '';
  return (start) => (start === last ? key : ((last = start), (key = dayOf(start))));
}

/** The answer over `f`'s range, counting the rows `visible` keeps. */
export function queryUsage(
  usage: Pick<UsageProjection, 'forEachBucket'>,
  f: BucketFilter,
  groupBy: UsageGroupBy | undefined,
  visible: (r: BucketRow) => boolean = () => true,
): UsageAnswer {
  const rows = new Map<string, UsageRow>();
  const groups = new Map<string | null, UsageGroup>();
  const total = emptyTotals();
  const day = dayKeys();
  usage.forEachBucket(f, (r, start) => {
    if (!visible(r)) return;
    const rowKey = `${r.project}|${r.agent}|${r.provider}|${r.model}`;
    let row = rows.get(rowKey);
    if (!row)
      rows.set(
        rowKey,
        (row = {
          project: r.project,
          agent: r.agent,
          provider: r.provider,
          model: r.model,
          ...emptyTotals(),
        }),
      );
    addTotals(row, r);
    addTotals(total, r);
    if (!groupBy) return;
    const key = groupBy === 'day' ? day(start) : r[groupBy];
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, ...emptyTotals(), marginMicros: null }));
    addTotals(g, r);
  });
  const answer: UsageAnswer = { rows: [...rows.values()].map(withMargin), total: withMargin(total) };
  if (groupBy) {
    const list = [...groups.values()].map((g) => ({ ...g, marginMicros: marginOf(g) }));
    answer.groups =
      groupBy === 'day'
        ? list.sort((a, b) => String(a.key).localeCompare(String(b.key)))
        : list.sort((a, b) => (b.costMicros ?? 0) - (a.costMicros ?? 0) || b.calls - a.calls);
  }
  return answer;
}
