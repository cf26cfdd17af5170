/**
 * Billing periods (issue 12 item 2): calendar months (the default) or days, with boundaries at
 * local midnight in an IANA time zone (`UTC` unless the workspace's billing sets one). Pure: the
 * zone arithmetic is `Intl.DateTimeFormat`'s; no clock. A period is `[start, end)` in epoch ms.
 *
 * Local midnight is turned into an instant with the zone's offset at that instant (two passes, so a
 * boundary next to a DST change lands on the right side). Zones whose midnight does not exist on a
 * DST day (a few, e.g. America/Santiago) get the first instant after the gap, as `Intl` reports it.
 *
 * The boundaries an invoice used are written into its effect request and into the invoice itself,
 * so a reader never recomputes them (a later tz database cannot change an issued invoice).
 *
 * @example
 *   periodOf(Date.UTC(2024, 1, 29, 12), 'month', 'UTC')
 *   // { label: '2024-02', start: Date.UTC(2024, 1, 1), end: Date.UTC(2024, 2, 1), timeZone: 'UTC' }
 */

export type PeriodUnit = 'month' | 'day';

export interface BillingPeriod {
  /** `YYYY-MM` (month) or `YYYY-MM-DD` (day), in the period's zone */
  readonly label: string;
  /** inclusive, epoch ms */
  readonly start: number;
  /** exclusive, epoch ms */
  readonly end: number;
  readonly timeZone: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when `timeZone` is an IANA zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

interface WallTime {
  y: number;
  m: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

/** The wall-clock time at `instant` in `timeZone`. */
function wallTime(instant: number, timeZone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(instant)))
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return {
    y: parts.year!,
    m: parts.month!,
    d: parts.day!,
    h: parts.hour!,
    mi: parts.minute!,
    s: parts.second!,
  };
}

/** The zone's offset from UTC at `instant`, ms (local = UTC + offset), to the second. */
function offsetAt(instant: number, timeZone: string): number {
  const w = wallTime(instant, timeZone);
  const asUtc = Date.UTC(w.y, w.m - 1, w.d, w.h, w.mi, w.s);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** The instant of local midnight starting day `d` of month `m` (1-based; overflow rolls over) of year `y`. */
export function localMidnight(y: number, m: number, d: number, timeZone: string): number {
  const wall = Date.UTC(y, m - 1, d);
  const first = wall - offsetAt(wall, timeZone);
  const second = wall - offsetAt(first, timeZone);
  return second;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function build(unit: PeriodUnit, y: number, m: number, d: number, timeZone: string): BillingPeriod {
  if (unit === 'month') {
    return {
      label: `${pad(y, 4)}-${pad(m)}`,
      start: localMidnight(y, m, 1, timeZone),
      end: localMidnight(y, m + 1, 1, timeZone),
      timeZone,
    };
  }
  // normalise the date (d may be an overflowed day) through UTC calendar arithmetic
  const day = new Date(Date.UTC(y, m - 1, d));
  const [yy, mm, dd] = [day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate()];
  return {
    label: `${pad(yy, 4)}-${pad(mm)}-${pad(dd)}`,
    start: localMidnight(yy, mm, dd, timeZone),
    end: localMidnight(yy, mm, dd + 1, timeZone),
    timeZone,
  };
}

/** The period of `unit` in `timeZone` that contains `instant`. */
export function periodOf(instant: number, unit: PeriodUnit, timeZone: string): BillingPeriod {
  const w = wallTime(instant, timeZone);
  const p = build(unit, w.y, w.m, w.d, timeZone);
  // a wall time inside a DST gap can map just before its own midnight: step to the right period
  if (instant < p.start) return periodOf(p.start - 1, unit, timeZone);
  if (instant >= p.end) return periodOf(p.end, unit, timeZone);
  return p;
}

/** The period that follows `period` (starts at its end). */
export function nextPeriod(period: BillingPeriod, unit: PeriodUnit): BillingPeriod {
  return periodOf(period.end, unit, period.timeZone);
}

/** The last period that has ended at `instant` (the one before the period containing it). */
export function lastClosedPeriod(instant: number, unit: PeriodUnit, timeZone: string): BillingPeriod {
  return periodOf(periodOf(instant, unit, timeZone).start - 1, unit, timeZone);
}

const MONTH_LABEL = /^(\d{4})-(\d{2})$/;
const DAY_LABEL = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The period a label names (`2026-11`, or `2026-11-30` for days); null when it is not one. */
export function periodOfLabel(label: string, unit: PeriodUnit, timeZone: string): BillingPeriod | null {
  const match = (unit === 'month' ? MONTH_LABEL : DAY_LABEL).exec(label);
  if (!match) return null;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3] ?? 1)];
  if (m < 1 || m > 12 || d < 1) return null;
  const p = build(unit, y, m, d, timeZone);
  return p.label === label ? p : null;
}
