/**
 * Which calls each issued invoice covered, in the workspace's metrics.db next to the `calls` table
 * (issue 12, late usage): the `invoices` table keeps every invoice issued on this database (its
 * period, the markup of each plan segment, the invoice itself) and each call row the id of the
 * invoice that billed it (`calls.invoice_id`). Both are written in the one SQLite transaction that
 * computes the invoice, so:
 *
 * - a call of an issued period that was projected after its invoice (it was journaled late, after
 *   the issue's projection flush) is the only kind of row still unmarked inside an issued period:
 *   the next invoice bills it as a "late usage from <period>" adjustment line, priced with the
 *   markup of the plan segment its time falls in, and marks it;
 * - the transaction is IMMEDIATE (SQLite's write lock from the first read), so the projection
 *   worker cannot slip a row in between what is read and what is marked;
 * - a crash (kill -9) before the commit leaves nothing: the re-driven effect computes the same
 *   invoice from the same rows; a crash after the commit (before the kernel records the outcome)
 *   finds the stored invoice and returns it as it was, byte for byte.
 *
 * Periods issued before this table existed, or on another node's metrics.db, are not in it: calls
 * late for those periods are not found (never billed twice). See docs/billing.md "Late usage".
 */
import type Database from 'better-sqlite3';
import type { Invoice } from '../../schemas/index.js';
import { merged, type Row } from './usageGroups.js';
import type { LateUsage } from './billedUsage.js';

export type { LateUsage } from './billedUsage.js';

/** A plan segment as the ledger keeps it: [from, to) at this markup. */
export interface LedgerSegment {
  readonly from: number;
  readonly to: number;
  readonly markup: number;
}

export interface InvoiceLedger {
  /**
   * Runs `compute` in one IMMEDIATE transaction: returns the invoice already stored under `id`
   * (computed before a crash), else computes it from the late usage found, stores it and marks
   * the calls of [start, end) and the late ones with its id.
   */
  issue(
    id: string,
    period: { label: string; start: number; end: number; segments: readonly LedgerSegment[] },
    compute: (late: readonly LateUsage[]) => Invoice,
  ): Invoice;
  /** the late usage an invoice starting at `start` would bill now (read only: the current draft) */
  pending(start: number): LateUsage[];
}

const SCHEMA = `CREATE TABLE IF NOT EXISTS invoices (id TEXT PRIMARY KEY, label TEXT NOT NULL,
    start INTEGER NOT NULL, end INTEGER NOT NULL, segments TEXT NOT NULL, body TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS calls_unbilled ON calls (at) WHERE invoice_id IS NULL;`;

const GROUP = `SELECT provider, model, actor, price_table, COUNT(*) AS calls, SUM(input_tokens) AS input,
    SUM(output_tokens) AS output, SUM(cache_read_tokens) AS cache_read,
    SUM(cache_write_tokens) AS cache_write, SUM(cost_micros) AS cost
  FROM calls WHERE invoice_id IS NULL AND at >= ? AND at < ?
  GROUP BY provider, model, actor, price_table ORDER BY provider, model, actor, price_table`;

interface Issued {
  id: string;
  label: string;
  start: number;
  end: number;
  segments: string;
}

/** The ledger of one metrics database (`calls.invoice_id` is added by sqliteCluster.ts). */
export function invoiceLedger(metrics: Database.Database): InvoiceLedger {
  metrics.exec(SCHEMA);
  const stored = metrics.prepare<[string], { body: string }>('SELECT body FROM invoices WHERE id = ?');
  const earlier = metrics.prepare<[number], Issued>(
    'SELECT id, label, start, end, segments FROM invoices WHERE start < ? ORDER BY start, id',
  );
  const unbilled = metrics.prepare<[number, number], Row>(GROUP);
  const store = metrics.prepare(
    'INSERT INTO invoices (id, label, start, end, segments, body) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const mark = metrics.prepare(
    'UPDATE calls SET invoice_id = ? WHERE invoice_id IS NULL AND at >= ? AND at < ?',
  );

  /** the unbilled calls of issued periods before `start`, and the ranges they were read from */
  function lateBefore(start: number) {
    const late: LateUsage[] = [];
    const ranges: Array<readonly [number, number]> = [];
    for (const inv of earlier.all(start)) {
      for (const s of JSON.parse(inv.segments) as LedgerSegment[]) {
        const to = Math.min(s.to, start);
        if (s.from >= to) continue;
        const usage = merged(unbilled.all(s.from, to));
        if (usage.length) late.push({ period: inv.label, invoiceId: inv.id, markup: s.markup, usage });
        ranges.push([s.from, to]);
      }
    }
    return { late, ranges };
  }

  const run = metrics.transaction(
    (
      id: string,
      period: { label: string; start: number; end: number; segments: readonly LedgerSegment[] },
      compute: (late: readonly LateUsage[]) => Invoice,
    ): Invoice => {
      const had = stored.get(id);
      if (had) return JSON.parse(had.body) as Invoice;
      const { late, ranges } = lateBefore(period.start);
      const invoice = compute(late);
      store.run(
        id,
        period.label,
        period.start,
        period.end,
        JSON.stringify(period.segments),
        JSON.stringify(invoice),
      );
      mark.run(id, period.start, period.end);
      for (const [from, to] of ranges) mark.run(id, from, to);
      return invoice;
    },
  );
  return {
    issue: (id, period, compute) => run.immediate(id, period, compute),
    pending: (start) => lateBefore(start).late,
  };
}
