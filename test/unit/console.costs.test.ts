/**
 * The console's costs split into today (the UTC day) and this period (the UTC month) from the
 * usage projection's per-day rows: a call of an earlier month counts in neither, a call of an
 * earlier day of this month only in the period, and each split also lands on its org,
 * workspace, provider and model rows.
 */
import { describe, expect, it } from 'vitest';
import { costsOf } from '../../gateway/console/costs.js';
import type { Names } from '../../gateway/console/names.js';
import type { TenancyProjection } from '../../gateway/projection.js';
import { emptyTotals, type UsageDayRow, type UsageProjection } from '../../gateway/usageProjection.js';

const NOW = Date.parse('2026-12-03T12:00:00Z');
const day = (d: string, costMicros: number): UsageDayRow & { org: string } => ({
  org: 'o1',
  day: d,
  project: 'p1',
  provider: 'anthropic',
  model: 'm',
  calls: 1,
  costMicros,
  priceMicros: costMicros * 2,
});

describe('console costs: today and this period', () => {
  it('splits by UTC day and month', () => {
    const days = [
      day('2026-11-30', 1000),
      day('2026-12-01', 200),
      day('2026-12-03', 30),
      day('2026-12-03', 4),
    ];
    const usage = {
      ready: true,
      incomplete: null,
      rowsOf: () => [
        { project: 'p1', agent: 'a', provider: 'anthropic', model: 'm', ...emptyTotals(), costMicros: 1234 },
      ],
      daysOf: () => days,
    } as unknown as UsageProjection;
    const tenancy = {
      projects: new Map([['p1', { workspace: 'w1' }]]),
    } as unknown as TenancyProjection;
    const names = { org: () => 'Org One', workspace: () => 'WS One', project: () => 'P' } as unknown as Names;
    const c = costsOf(usage, tenancy, names, ['o1'], NOW);
    expect(c.today).toEqual({ day: '2026-12-03', calls: 2, costMicros: 34, priceMicros: 68 });
    expect(c.period).toEqual({ month: '2026-12', calls: 3, costMicros: 234, priceMicros: 468 });
    expect(c.total.costMicros).toBe(1234);
    for (const rows of [c.byOrg, c.byWorkspace, c.byProvider, c.byModel]) {
      expect(rows).toHaveLength(1);
      expect(rows[0]!.today.costMicros).toBe(34);
      expect(rows[0]!.period.costMicros).toBe(234);
    }
    expect(c.byWorkspace[0]!.label).toBe('Org One / WS One');
  });
});
