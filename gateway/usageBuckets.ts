/**
 * The time dimension of the usage projection: per org, one bucket per UTC day and one per UTC hour
 * (hours kept for {@link HOURLY_DAYS} days behind the newest call), each holding one row per
 * workspace, project, agent, provider and model. A call, a run or a failure counts in the bucket of its
 * journal turn's `cmd.at` (the time its command was stored in MOE_CMD: the same clock the
 * workspace's `calls` table records). Memory is bounded by buckets × dimensions, not by calls:
 * 1M calls over a month in 150 dimension combinations is at most (720 + 30) × 150 rows. A range
 * reads the day rows of its whole days and the hour rows of its partial days only, so a month
 * grouped by day visits 30 buckets, not 720.
 *
 * A range [from, to) counts an hour's calls when the hour starts in it: ranges are exact on whole
 * UTC hours (on whole days for days whose hours were dropped). Pure, no I/O; the fold and its snapshot are in usageProjection.ts.
 */
import { addTotals, emptyTotals, type UsageTotals } from './usageTotals.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
/** hourly buckets kept for this many days behind the newest call; older ones fold into days */
export const HOURLY_DAYS = 45;

/** Where a call is counted: the dimensions every answer can group by (besides time). */
export interface UsageDims {
  ws: string;
  /** null: a task outside any project */
  project: string | null;
  agent: string;
  provider: string;
  model: string;
}

/** What a bucket row adds to {@link UsageTotals} for the cost suggestions (usageSuggestions.ts). */
export interface BucketExtras {
  /**
   * prompt tokens a call re-sent from its task's previous call (the conversation prefix: at most
   * the previous call's prompt plus reply), summed: what a prompt cache could have served
   */
  repeatedPrefixTokens: number;
  /** provider cost of the calls of runs that ended in `task.failed`, µ$ (counted at the failure) */
  failedRunCostMicros: number;
  /**
   * Failed attempts inside calls (the router's retries and fallbacks, journaled with each call's
   * result as `attempts`), counted on the provider/model that failed: calls with any, failed
   * attempts, of which 429s, backoff waited (ms), and what failed attempts were billed (µ$).
   * Absent in snapshots written before: read as 0.
   */
  retriedCalls: number;
  failedAttempts: number;
  rateLimitedAttempts: number;
  retryWaitMs: number;
  failedAttemptCostMicros: number;
}

const RETRY_FIELDS = [
  'retriedCalls',
  'failedAttempts',
  'rateLimitedAttempts',
  'retryWaitMs',
  'failedAttemptCostMicros',
] as const;

export type BucketRow = UsageDims & UsageTotals & BucketExtras;

/** A bucket row as a snapshot stores it (hour or day start, ms). */
export type StoredBucketRow = BucketRow & { org: string; at: number };

export interface BucketFilter {
  org: string;
  /** workspace id (absent: every workspace of the org) */
  ws?: string;
  /** epoch ms, inclusive (absent: from the first call) */
  from?: number;
  /** epoch ms, exclusive (absent: up to now) */
  to?: number;
}

export function emptyBucketRow(d: UsageDims): BucketRow {
  return {
    ...d,
    ...emptyTotals(),
    repeatedPrefixTokens: 0,
    failedRunCostMicros: 0,
    retriedCalls: 0,
    failedAttempts: 0,
    rateLimitedAttempts: 0,
    retryWaitMs: 0,
    failedAttemptCostMicros: 0,
  };
}

export function addBucketRow(into: BucketRow, r: BucketRow): BucketRow {
  addTotals(into, r);
  into.repeatedPrefixTokens += r.repeatedPrefixTokens;
  into.failedRunCostMicros += r.failedRunCostMicros;
  // a row from an older snapshot lacks these
  for (const k of RETRY_FIELDS) into[k] = (into[k] ?? 0) + (r[k] ?? 0);
  return into;
}

const dimKey = (d: UsageDims) => `${d.ws}|${d.project}|${d.agent}|${d.provider}|${d.model}`;

type Level = Map<string, Map<number, Map<string, BucketRow>>>;

function rowIn(level: Level, org: string, start: number, dims: UsageDims): BucketRow {
  let byStart = level.get(org);
  if (!byStart) level.set(org, (byStart = new Map<number, Map<string, BucketRow>>()));
  let rows = byStart.get(start);
  if (!rows) byStart.set(start, (rows = new Map<string, BucketRow>()));
  const key = dimKey(dims);
  let row = rows.get(key);
  if (!row) rows.set(key, (row = emptyBucketRow(dims)));
  return row;
}

export class UsageBuckets {
  /** org → hour start (ms) → dimension key → row; hours before `foldedBelow` are dropped */
  private readonly hours: Level = new Map();
  /** org → day start (ms) → dimension key → row: every call, kept for good */
  private readonly days: Level = new Map();
  /** hour start of the newest call seen */
  private newestHour = 0;
  /** hourly buckets below this start were dropped (their days hold them) */
  private foldedBelow = 0;

  /** Adds a call, run or failure at `at` (epoch ms) in `dims` of `org`: `add` runs on its hour and day rows. */
  add(org: string, at: number, dims: UsageDims, add: (row: BucketRow) => void): void {
    const hour = Math.floor(at / HOUR_MS) * HOUR_MS;
    if (hour > this.newestHour) {
      this.newestHour = hour;
      // drop at most once per day of progress
      if (hour - HOURLY_DAYS * DAY_MS - DAY_MS >= this.foldedBelow) this.dropOldHours();
    }
    if (hour >= this.foldedBelow) add(rowIn(this.hours, org, hour, dims));
    add(rowIn(this.days, org, Math.floor(at / DAY_MS) * DAY_MS, dims));
  }

  /** Drops hourly buckets more than HOURLY_DAYS days behind the newest call (the days keep them). */
  private dropOldHours(): void {
    const below = Math.floor((this.newestHour - HOURLY_DAYS * DAY_MS) / DAY_MS) * DAY_MS;
    for (const byStart of this.hours.values())
      for (const start of [...byStart.keys()]) if (start < below) byStart.delete(start);
    this.foldedBelow = below;
  }

  /**
   * Calls `visit` with every row of `f.org` (and `f.ws`) counted in [from, to): whole UTC days of
   * the range from the day buckets, its partial days at either end from the hour buckets (from
   * the day bucket when its hours were dropped: that day counts when it starts in the range).
   */
  forEach(f: BucketFilter, visit: (row: BucketRow, start: number) => void): void {
    const from = f.from ?? Number.NEGATIVE_INFINITY;
    const to = f.to ?? Number.POSITIVE_INFINITY;
    const dayFrom = Number.isFinite(from) ? Math.ceil(from / DAY_MS) * DAY_MS : from;
    const dayTo = Number.isFinite(to) ? Math.floor(to / DAY_MS) * DAY_MS : to;
    const scan = (level: Level, a: number, b: number) => {
      if (a >= b) return;
      const byStart = level.get(f.org);
      if (!byStart) return;
      for (const [start, rows] of byStart) {
        if (start < a || start >= b) continue;
        for (const r of rows.values()) if (f.ws === undefined || r.ws === f.ws) visit(r, start);
      }
    };
    if (dayFrom >= dayTo) {
      // no whole day inside: hours (days where the hours were dropped)
      scan(this.hours, Math.max(from, this.foldedBelow), to);
      scan(this.days, from, Math.min(to, this.foldedBelow));
      return;
    }
    scan(this.days, dayFrom, dayTo);
    for (const [a, b] of [
      [from, dayFrom],
      [dayTo, to],
    ] as const) {
      scan(this.hours, Math.max(a, this.foldedBelow), b);
      scan(this.days, a, Math.min(b, this.foldedBelow));
    }
  }

  /** Every row, for a snapshot: hours, then days. */
  stored(): { hours: StoredBucketRow[]; days: StoredBucketRow[] } {
    const out = (level: Level) => {
      const rows: StoredBucketRow[] = [];
      for (const [org, byStart] of level)
        for (const [at, byKey] of byStart) for (const r of byKey.values()) rows.push({ org, at, ...r });
      return rows;
    };
    return { hours: out(this.hours), days: out(this.days) };
  }

  /** Restores what a snapshot stored (into an empty instance). */
  load(
    stored: { hours: readonly StoredBucketRow[]; days: readonly StoredBucketRow[] },
    foldedBelow: number,
  ): void {
    this.foldedBelow = foldedBelow;
    for (const [level, rows] of [
      [this.hours, stored.hours],
      [this.days, stored.days],
    ] as const)
      for (const { org, at, ...r } of rows) {
        addBucketRow(rowIn(level, org, at, r), { ...r });
        if (level === this.hours) this.newestHour = Math.max(this.newestHour, at);
      }
  }

  get folded(): number {
    return this.foldedBelow;
  }
}
