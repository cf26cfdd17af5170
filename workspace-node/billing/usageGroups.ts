/**
 * Reads the usage an invoice bills from the workspace's `calls` table (metrics.db, projected from
 * `usage.recorded` events by projections.ts, one row per provider call keyed by its journal turn,
 * so replays never double count): the sums per (provider, model, agent, price-table version) of the
 * calls whose command time `at` is in [from, to). Integer sums in SQLite are exact (64-bit). The
 * order is fixed. Calls priced with different price tables are different groups, so each invoice
 * line shows the unit prices its calls were priced with.
 */
import type Database from 'better-sqlite3';
import type { UsageGroup } from './billedUsage.js';

export interface Row {
  provider: string;
  model: string;
  actor: string;
  price_table: string;
  calls: number;
  input: number;
  output: number;
  cache_read: number;
  cache_write: number;
  cost: number;
}

/** `org.ws.agent.a1` → `a1`; other kinds keep theirs (`coordinator.c1`). */
export function agentOf(actorKey: string): string {
  const [, , kind, ...id] = actorKey.split('.');
  if (kind === undefined) return actorKey;
  return kind === 'agent' ? id.join('.') : `${kind}.${id.join('.')}`;
}

/**
 * The covering index the invoice query reads in group order (no sort, no table lookups): made once
 * per database, on first use (a few seconds for a million existing calls, then one more index entry
 * per projected call).
 */
const BILLING_INDEX = `DROP INDEX IF EXISTS calls_billing;
  CREATE INDEX IF NOT EXISTS calls_billing_v2 ON calls (provider, model, actor, price_table, at,
  input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_micros)`;

/** A reader of usage groups over one metrics database (the statement prepared once). */
export function usageReader(metrics: Database.Database): (from: number, to: number) => UsageGroup[] {
  let indexed = false;
  const stmt = metrics.prepare<[number, number], Row>(
    `SELECT provider, model, actor, price_table, COUNT(*) AS calls, SUM(input_tokens) AS input,
       SUM(output_tokens) AS output, SUM(cache_read_tokens) AS cache_read,
       SUM(cache_write_tokens) AS cache_write, SUM(cost_micros) AS cost
     FROM calls WHERE at >= ? AND at < ?
     GROUP BY provider, model, actor, price_table ORDER BY provider, model, actor, price_table`,
  );
  return (from, to) => {
    if (!indexed) {
      metrics.exec(BILLING_INDEX);
      indexed = true;
    }
    return merged(stmt.all(from, to));
  };
}

/** Rows grouped by actor key → groups by agent name (in the rows' order, which is kept). */
export function merged(rows: readonly Row[]): UsageGroup[] {
  {
    const byKey = new Map<string, UsageGroup>();
    for (const r of rows) {
      // two actor keys can name one agent only across kinds; merge to keep one line per name
      const agent = agentOf(r.actor);
      const key = `${r.provider}\u0000${r.model}\u0000${agent}\u0000${r.price_table}`;
      const had = byKey.get(key);
      byKey.set(key, {
        provider: r.provider,
        model: r.model,
        agent,
        priceTable: r.price_table,
        calls: (had?.calls ?? 0) + r.calls,
        inputTokens: (had?.inputTokens ?? 0) + r.input,
        outputTokens: (had?.outputTokens ?? 0) + r.output,
        cacheReadTokens: (had?.cacheReadTokens ?? 0) + r.cache_read,
        cacheWriteTokens: (had?.cacheWriteTokens ?? 0) + r.cache_write,
        costMicros: (had?.costMicros ?? 0) + r.cost,
      });
    }
    return [...byKey.values()];
  }
}
