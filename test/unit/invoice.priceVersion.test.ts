/**
 * The price-table version of each call (issue 12 gap 1): the real projector writes the version a
 * `usage.recorded` event names into the workspace's `calls` table (older records: the previous
 * table, 2025-10-01), an old metrics.db gains the column with that default, and an invoice over
 * calls priced under two versions has a line per version with that version's unit prices; costs
 * sum exactly in µ$.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../schemas/index.js';
import { buildInvoice, usageReader } from '../../workspace-node/billing/index.js';
import { createProjector, LEGACY_PRICE_TABLE } from '../../workspace-node/projections.js';
import { costOf, PRICE_TABLE_V1, PRICE_TABLE_V2, priceOf } from '../../workspace-node/providers/prices.js';
import { openSqliteCluster } from '../../workspace-node/sqliteCluster.js';
import { tempDir } from '../harness/index.js';

const dir = tempDir('moe-price-version-');
afterAll(() => dir.remove());

const START = Date.UTC(2026, 11, 1);
const END = Date.UTC(2027, 0, 1);
const MODEL = 'claude-sonnet-5-5'; // the one entry that differs between the two tables

function recorded(n: number, at: number, usage: number[], priceTable?: string): JournalRecord {
  const u = {
    inputTokens: usage[0]!,
    outputTokens: usage[1]!,
    cacheReadTokens: usage[2]!,
    cacheWriteTokens: usage[3]!,
  };
  const table = priceTable === PRICE_TABLE_V2.version ? PRICE_TABLE_V2 : PRICE_TABLE_V1;
  const cost = costOf(u, table.models[`anthropic/${MODEL}`]!);
  return {
    actor: { org: 'o', ws: 'w', kind: 'agent', id: 'a1' },
    session: 's',
    turn: n,
    cmd: { id: `c${n}`, type: 'effect.result', at },
    state: 'running',
    status: 'active',
    events: [
      {
        type: 'usage.recorded',
        effectId: `e${n}`,
        step: n,
        provider: 'anthropic',
        model: MODEL,
        usage: u,
        costMicros: cost,
        priceMicros: priceOf(cost, 5),
        markup: 5,
        ...(priceTable ? { priceTable } : {}),
      },
    ] as JournalRecord['events'],
    effects: [],
    cancels: [],
  };
}

describe('price-table version per call', () => {
  it('migrates a calls table made before the version existed', () => {
    const path = join(dir.path, 'migrate');
    openSqliteCluster(path).close();
    // rebuild the table as it was (no price_table), with one row
    const raw = new Database(join(path, 'metrics.db'));
    raw.exec(`DROP TABLE calls; CREATE TABLE calls (
      seq INTEGER NOT NULL, turn INTEGER NOT NULL DEFAULT 0, actor TEXT NOT NULL, session TEXT NOT NULL,
      provider TEXT NOT NULL, model TEXT NOT NULL,
      input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL,
      cache_write_tokens INTEGER NOT NULL, at INTEGER NOT NULL, effect_id TEXT NOT NULL DEFAULT '',
      cost_micros INTEGER NOT NULL DEFAULT 0, price_micros INTEGER NOT NULL DEFAULT 0, markup REAL,
      duration_ms INTEGER, PRIMARY KEY (seq, turn));
      INSERT INTO calls VALUES (1, 1, 'o.w.agent.a1', 's', 'anthropic', '${MODEL}', 1000, 0, 0, 0, ${START}, 'e', 3000, 15000, 5, 10);`);
    raw.close();
    const cluster = openSqliteCluster(path);
    const row = cluster.metrics.prepare('SELECT price_table FROM calls').get() as { price_table: string };
    expect(row.price_table).toBe('2025-10-01');
    expect(LEGACY_PRICE_TABLE).toBe(PRICE_TABLE_V1.version);
    const [group] = usageReader(cluster.metrics)(START, END);
    expect(group).toMatchObject({ priceTable: '2025-10-01', costMicros: 3000 });
    cluster.close();
  });

  it('calls under versions A and B in one period: two lines, each with its own unit prices', () => {
    const cluster = openSqliteCluster(join(dir.path, 'ab'));
    const project = createProjector(cluster);
    const a = PRICE_TABLE_V1.version;
    const b = PRICE_TABLE_V2.version;
    const recs = [
      recorded(1, START + 1000, [1000, 500, 2000, 1000], a), // V1: 3000 + 7500 + 600 + 3750 = 14 850
      recorded(2, START + 2000, [7, 3, 0, 0]), // no version named: the legacy table (A)
      recorded(3, START + 3000, [1000, 500, 2000, 1000], b), // V2: 2000 + 5000 + 200 + 2500 = 9 700
      recorded(4, START + 4000, [1, 1, 1, 1], b), // V2: 2 + 10 + 0.1 + 2.5 pico·10⁶ = 14.6 → 15
    ];
    project(recs.map((r, i) => [r, i + 1] as const));
    // re-projecting the same turns counts nothing twice
    project(recs.map((r, i) => [r, i + 1] as const));

    const rows = cluster.metrics
      .prepare('SELECT seq, price_table, cost_micros FROM calls ORDER BY seq')
      .all() as { seq: number; price_table: string; cost_micros: number }[];
    expect(rows.map((r) => r.price_table)).toEqual([a, a, b, b]);
    expect(rows.map((r) => r.cost_micros)).toEqual([14_850, 66, 9_700, 15]);

    const usage = usageReader(cluster.metrics)(START, END);
    const inv = buildInvoice({
      org: 'o',
      ws: 'w',
      label: '2026-12',
      start: START,
      end: END,
      timeZone: 'UTC',
      issuedAt: END,
      adjustments: [],
      segments: [{ from: START, to: END, plan: { name: 'standard', markup: 5 }, usage }],
    });
    const lines = inv.lines.filter((l) => l.kind === 'usage');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      description: `anthropic/${MODEL} · a1 (prices ${a})`,
      priceTable: a,
      unitPrices: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
      calls: 2,
      costMicros: 14_850 + 66,
      priceMicros: (14_850 + 66) * 5,
    });
    expect(lines[1]).toMatchObject({
      description: `anthropic/${MODEL} · a1 (prices ${b})`,
      priceTable: b,
      unitPrices: { input: 2, output: 10, cacheRead: 0.1, cacheWrite: 2.5 },
      calls: 2,
      costMicros: 9_700 + 15,
      priceMicros: (9_700 + 15) * 5,
    });
    // exact: the invoice's cost is the sum of the recorded per-call costs
    expect(inv.totals.costMicros).toBe(rows.reduce((s, r) => s + r.cost_micros, 0));
    cluster.close();
  });
});
