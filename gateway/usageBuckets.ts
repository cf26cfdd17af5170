/**
 * The time dimension of the usage projection: per org, one bucket per UTC hour (per UTC day once
 * older than {@link HOURLY_DAYS} days behind the newest call), each holding one row per workspace,
 * project, agent, provider and model. A call, a run or a failure counts in the bucket of its
 * journal turn's `cmd.at` (the time its command was stored in MOE_CMD: the same clock the
 * workspace's `calls` table records). Memory is bounded by buckets × dimensions, not by calls:
 * 1M calls over a month in 150 dimension combinations is at most 720 × 150 rows.
 *
 * A range [from, to) holds the buckets whose start lies in it: an hour's calls count when the hour
 * starts in the range (so ranges are exact on whole UTC hours, and on whole days for buckets
 * already folded into days). Pure, no I/O; the fold and its snapshot are in usageProjection.ts.
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
}

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
  return { ...d, ...emptyTotals(), repeatedPrefixTokens: 0, failedRunCostMicros: 0 };
}

export function addBucketRow(into: BucketRow, r: BucketRow): BucketRow {
  addTotals(into, r);
  into.repeatedPrefixTokens += r.repeatedPrefixTokens;
  into.failedRunCostMicros += r.failedRunCostMicros;
  return into;
}

const dimKey = (d: UsageDims) => `${d.ws}|${d.project}|${d.agent}|${d.provider}|${d.model}`;

export class UsageBuckets {
  /** org → bucket start (ms) → dimension key → row */
  private readonly byOrg = new Map<string, Map<number, Map<string, BucketRow>>>();
  /** hour start of the newest call seen */
  private newestHour = 0;
  /** hourly buckets below this start were folded into day buckets */
  private foldedBelow = 0;

  /** The row a call, run or failure at `at` (epoch ms) in `dims` of `org` adds to. */
  row(org: string, at: number, dims: UsageDims): BucketRow {
    const hour = Math.floor(at / HOUR_MS) * HOUR_MS;
    const start = hour < this.foldedBelow ? Math.floor(at / DAY_MS) * DAY_MS : hour;
    if (hour > this.newestHour) {
      this.newestHour = hour;
      // fold at most once per day of progress
      if (hour - HOURLY_DAYS * DAY_MS - DAY_MS >= this.foldedBelow) this.foldOld();
    }
    let byStart = this.byOrg.get(org);
    if (!byStart) this.byOrg.set(org, (byStart = new Map<number, Map<string, BucketRow>>()));
    let rows = byStart.get(start);
    if (!rows) byStart.set(start, (rows = new Map<string, BucketRow>()));
    const key = dimKey(dims);
    let row = rows.get(key);
    if (!row) rows.set(key, (row = emptyBucketRow(dims)));
    return row;
  }

  /** Folds hourly buckets more than HOURLY_DAYS days behind the newest call into day buckets. */
  private foldOld(): void {
    const below = Math.floor((this.newestHour - HOURLY_DAYS * DAY_MS) / DAY_MS) * DAY_MS;
    for (const byStart of this.byOrg.values()) {
      for (const [start, rows] of [...byStart]) {
        if (start >= below || start < this.foldedBelow || start % DAY_MS === 0) continue;
        byStart.delete(start);
        const day = Math.floor(start / DAY_MS) * DAY_MS;
        let dayRows = byStart.get(day);
        if (!dayRows) byStart.set(day, (dayRows = new Map<string, BucketRow>()));
        for (const [key, r] of rows) {
          const into = dayRows.get(key);
          if (into) addBucketRow(into, r);
          else dayRows.set(key, r);
        }
      }
    }
    this.foldedBelow = below;
  }

  /** Calls `visit` with every row of `f.org` (and `f.ws`) in a bucket starting in [from, to). */
  forEach(f: BucketFilter, visit: (row: BucketRow, start: number) => void): void {
    const byStart = this.byOrg.get(f.org);
    if (!byStart) return;
    const from = f.from ?? Number.NEGATIVE_INFINITY;
    const to = f.to ?? Number.POSITIVE_INFINITY;
    for (const [start, rows] of byStart) {
      if (start < from || start >= to) continue;
      for (const r of rows.values()) if (f.ws === undefined || r.ws === f.ws) visit(r, start);
    }
  }

  /** Every row, for a snapshot. */
  stored(): StoredBucketRow[] {
    const out: StoredBucketRow[] = [];
    for (const [org, byStart] of this.byOrg)
      for (const [at, rows] of byStart) for (const r of rows.values()) out.push({ org, at, ...r });
    return out;
  }

  /** Restores rows a snapshot stored (into an empty instance). */
  load(rows: readonly StoredBucketRow[], foldedBelow: number): void {
    this.foldedBelow = foldedBelow;
    for (const { org, at, ...r } of rows) {
      const into = this.row(org, at, r);
      addBucketRow(into, { ...r });
    }
  }

  get folded(): number {
    return this.foldedBelow;
  }
}
