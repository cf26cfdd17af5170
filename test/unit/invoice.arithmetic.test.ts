/**
 * Invoice arithmetic (workspace-node/billing/invoiceLines.ts, usageGroups.ts): exact integer µ$
 * from the `calls` table of a real workspace SQLite, with cache tokens, markup rounded up once per
 * line, prorated plan fees and included credits, adjustments, and the same invoice every time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteCluster } from '../../workspace-node/sqliteCluster.js';
import {
  buildInvoice,
  prorate,
  usageReader,
  type PricedSegment,
} from '../../workspace-node/billing/index.js';
import { costOf, DEFAULT_PRICE_TABLE, priceOf } from '../../workspace-node/providers/prices.js';
import type { Plan } from '../../workspace-node/providers/index.js';

const dir = mkdtempSync(join(tmpdir(), 'moe-invoice-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const utc = (y: number, m: number, d: number, h = 0) => Date.UTC(y, m - 1, d, h);
const START = utc(2024, 2, 1);
const END = utc(2024, 3, 1); // a leap February: 29 days
const sonnet = DEFAULT_PRICE_TABLE.models['anthropic/claude-sonnet-4-5']!;
const gpt = DEFAULT_PRICE_TABLE.models['openai/gpt-5-mini']!;

function workspace(name: string) {
  const cluster = openSqliteCluster(join(dir, name));
  const insert = cluster.metrics.prepare(
    `INSERT INTO calls (seq, turn, actor, session, provider, model, input_tokens, output_tokens,
       cache_read_tokens, cache_write_tokens, at, effect_id, cost_micros, price_micros, markup, price_table)
     VALUES (?, ?, ?, 's', ?, ?, ?, ?, ?, ?, ?, 'e', ?, ?, 5, ?)`,
  );
  let seq = 0;
  const call = (at: number, actor: string, provider: string, model: string, u: number[]) => {
    const usage = {
      inputTokens: u[0]!,
      outputTokens: u[1]!,
      cacheReadTokens: u[2]!,
      cacheWriteTokens: u[3]!,
    };
    const cost = costOf(usage, provider === 'openai' ? gpt : sonnet);
    insert.run(
      ++seq,
      1,
      `o.w.agent.${actor}`,
      provider,
      model,
      u[0],
      u[1],
      u[2],
      u[3],
      at,
      cost,
      priceOf(cost, 5),
      DEFAULT_PRICE_TABLE.version,
    );
    return cost;
  };
  return { cluster, call, usage: usageReader(cluster.metrics) };
}

const standard: Plan = { name: 'standard', markup: 5 };
const base = {
  org: 'o',
  ws: 'w',
  label: '2024-02',
  start: START,
  end: END,
  timeZone: 'UTC',
  issuedAt: END + 300_000,
  adjustments: [],
};

describe('invoice arithmetic', () => {
  it('sums per provider, model and agent in exact µ$, cache tokens included, markup rounded up once per line', () => {
    const w = workspace('a');
    // 1000 in, 500 out, 2000 cache read, 1000 cache write on Sonnet ($3/$15/$0.30/$3.75 per MTok):
    // 3000 + 7500 + 600 + 3750 pico·10⁶ → 14_850 µ$ exactly
    expect(w.call(utc(2024, 2, 1), 'a1', 'anthropic', 'claude-sonnet-4-5', [1000, 500, 2000, 1000])).toBe(
      14_850,
    );
    // 7 input tokens on Sonnet: 21 µ$; 1 token of gpt-5-mini input ($0.25/MTok) = 0.25 µ$ → rounded up to 1
    expect(w.call(utc(2024, 2, 29, 23), 'a1', 'anthropic', 'claude-sonnet-4-5', [7, 0, 0, 0])).toBe(21);
    expect(w.call(utc(2024, 2, 10), 'a2', 'openai', 'gpt-5-mini', [1, 0, 0, 0])).toBe(1);
    expect(w.call(utc(2024, 2, 11), 'a2', 'openai', 'gpt-5-mini', [1, 0, 0, 0])).toBe(1);
    // outside [start, end): the leap day's next midnight and the last ms of January are not billed
    w.call(END, 'a1', 'anthropic', 'claude-sonnet-4-5', [1000, 0, 0, 0]);
    w.call(START - 1, 'a1', 'anthropic', 'claude-sonnet-4-5', [1000, 0, 0, 0]);
    const inv = buildInvoice({
      ...base,
      segments: [{ from: START, to: END, plan: standard, usage: w.usage(START, END) }],
    });
    expect(inv.id).toBe('inv-o.w-2024-02');
    expect(inv.period).toEqual({
      label: '2024-02',
      start: '2024-02-01T00:00:00.000Z',
      end: '2024-03-01T00:00:00.000Z',
      timeZone: 'UTC',
    });
    expect(inv.lines).toEqual([
      {
        kind: 'usage',
        description: 'anthropic/claude-sonnet-4-5 · a1',
        provider: 'anthropic',
        model: 'claude-sonnet-4-5',
        agent: 'a1',
        calls: 2,
        inputTokens: 1007,
        outputTokens: 500,
        cacheReadTokens: 2000,
        cacheWriteTokens: 1000,
        unitPrices: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
        priceTable: DEFAULT_PRICE_TABLE.version,
        costMicros: 14_871,
        priceMicros: 74_355,
        marginMicros: 59_484,
      },
      expect.objectContaining({
        agent: 'a2',
        model: 'gpt-5-mini',
        calls: 2,
        costMicros: 2,
        priceMicros: 10,
        marginMicros: 8,
      }),
    ]);
    expect(inv.totals).toEqual({
      costMicros: 14_873,
      priceMicros: 74_365,
      marginMicros: 59_492,
      creditsMicros: 0,
      dueMicros: 74_365,
    });
    w.cluster.close();
  });

  it('applies a fractional markup once per line, rounding up', () => {
    // 3 µ$ × 1.25 = 3.75 → 4; per call (1 µ$ × 1.25 → 2, three times) it would be 6
    const usage = [
      {
        provider: 'x',
        model: 'm',
        agent: 'a',
        priceTable: DEFAULT_PRICE_TABLE.version,
        calls: 3,
        inputTokens: 3,
        outputTokens: 0,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        costMicros: 3,
      },
    ];
    const inv = buildInvoice({
      ...base,
      segments: [{ from: START, to: END, plan: { name: 'p', markup: 1.25 }, usage }],
    });
    expect(inv.lines[0]).toMatchObject({ costMicros: 3, priceMicros: 4, marginMicros: 1 });
    expect(inv.lines[0]!.unitPrices).toBeUndefined();
  });

  it('prorates a mid-period plan change: markup per segment, fees and included credits by time, rounded down', () => {
    const w = workspace('b');
    const change = utc(2024, 2, 11); // 10 of 29 days on standard, 19 on team
    w.call(utc(2024, 2, 5), 'a1', 'anthropic', 'claude-sonnet-4-5', [1_000_000, 0, 0, 0]); // 3_000_000 µ$
    w.call(utc(2024, 2, 20), 'a1', 'anthropic', 'claude-sonnet-4-5', [1_000_000, 0, 0, 0]);
    const std: Plan = { name: 'standard', markup: 5, feeMicros: 0, includedCreditsMicros: 2_900_000 };
    const team: Plan = { name: 'team', markup: 4, feeMicros: 29_000_000, includedCreditsMicros: 5_800_000 };
    const segments: PricedSegment[] = [
      { from: START, to: change, plan: std, usage: w.usage(START, change) },
      { from: change, to: END, plan: team, usage: w.usage(change, END) },
    ];
    const inv = buildInvoice({
      ...base,
      segments,
      adjustments: [{ amountMicros: -1_000_000, reason: 'goodwill' }],
    });
    const kinds = inv.lines.map((l) => [l.kind, l.priceMicros]);
    expect(kinds).toEqual([
      ['usage', 15_000_000], // 3_000_000 × 5
      ['usage', 12_000_000], // 3_000_000 × 4
      ['plan', 19_000_000], // ⌊29_000_000 × 19/29⌋
      ['credit', -1_000_000], // ⌊2_900_000 × 10/29⌋
      ['credit', -3_800_000], // ⌊5_800_000 × 19/29⌋
      ['adjustment', -1_000_000],
    ]);
    expect(inv.lines[0]!.description).toContain('(plan standard)');
    expect(inv.plan).toEqual({ name: 'team', markup: 4 });
    expect(inv.totals).toEqual({
      costMicros: 6_000_000,
      priceMicros: 46_000_000,
      creditsMicros: -5_800_000,
      marginMicros: 46_000_000 - 5_800_000 - 6_000_000,
      dueMicros: 40_200_000,
    });
    w.cluster.close();
  });

  it('caps included credits at the usage price and never owes below zero', () => {
    const usage = [
      {
        provider: 'x',
        model: 'm',
        agent: 'a',
        priceTable: DEFAULT_PRICE_TABLE.version,
        calls: 1,
        inputTokens: 1,
        outputTokens: 0,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        costMicros: 100,
      },
    ];
    const inv = buildInvoice({
      ...base,
      segments: [
        { from: START, to: END, plan: { name: 'p', markup: 5, includedCreditsMicros: 10_000_000 }, usage },
      ],
      adjustments: [{ amountMicros: -1_000, reason: 'refund' }],
    });
    expect(inv.lines.find((l) => l.kind === 'credit')?.priceMicros).toBe(-500);
    expect(inv.totals).toMatchObject({ priceMicros: 500, creditsMicros: -1_500, dueMicros: 0 });
  });

  it('is deterministic: the same inputs give the same invoice, byte for byte', () => {
    const w = workspace('c');
    for (let i = 0; i < 50; i++)
      w.call(
        START + i * 3_600_000,
        `a${i % 3}`,
        i % 2 ? 'openai' : 'anthropic',
        i % 2 ? 'gpt-5-mini' : 'claude-sonnet-4-5',
        [i * 17, i * 5, i, 0],
      );
    const make = () =>
      JSON.stringify(
        buildInvoice({
          ...base,
          segments: [{ from: START, to: END, plan: standard, usage: w.usage(START, END) }],
        }),
      );
    expect(make()).toBe(make());
    w.cluster.close();
  });

  it('prorate is exact and rounds down', () => {
    expect(prorate(29_000_000, 19, 29)).toBe(19_000_000);
    expect(prorate(10, 1, 3)).toBe(3);
    expect(prorate(Number.MAX_SAFE_INTEGER, 2_505_600_000, 2_505_600_000)).toBe(Number.MAX_SAFE_INTEGER);
  });
});
