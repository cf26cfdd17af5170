/**
 * Late usage (issue 12 gap 3): a call of a period projected after that period's invoice was issued
 * is billed by the next invoice as a separate `adjustment` line "late usage from <period>", with
 * exactly that call's cost and its price at the markup of the plan then; once only. Runs the real
 * `invoice.issue` handler over a real workspace SQLite cluster fed by the real projector. A crash
 * mid-issue (the fault hook throwing inside the transaction) leaves nothing behind: the re-drive
 * gives the invoice a clean run gives; a re-drive after the commit returns the stored invoice.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Invoice, JournalRecord } from '../../schemas/index.js';
import { draftInvoice, invoiceLedger, usageReader } from '../../workspace-node/billing/index.js';
import { invoiceIssueHandler } from '../../workspace-node/effects/invoiceIssue.js';
import { createProjector } from '../../workspace-node/projections.js';
import { costOf, DEFAULT_PRICE_TABLE, priceOf } from '../../workspace-node/providers/prices.js';
import { openSqliteCluster } from '../../workspace-node/sqliteCluster.js';
import { tempDir } from '../harness/index.js';

const dir = tempDir('moe-late-usage-');
afterAll(() => dir.remove());

const NOV = Date.UTC(2026, 10, 1);
const DEC = Date.UTC(2026, 11, 1);
const JAN = Date.UTC(2027, 0, 1);
const FEB = Date.UTC(2027, 1, 1);
const haiku = DEFAULT_PRICE_TABLE.models['anthropic/claude-haiku-4-5']!;

function workspace(name: string) {
  const cluster = openSqliteCluster(join(dir.path, name));
  const project = createProjector(cluster);
  let seq = 0;
  /** projects one priced call made at `at` by agent a1; returns its cost */
  const call = (at: number, tokens: number): number => {
    const usage = { inputTokens: tokens, outputTokens: tokens * 2, cacheReadTokens: 0, cacheWriteTokens: 0 };
    const cost = costOf(usage, haiku);
    const rec: JournalRecord = {
      actor: { org: 'o', ws: name, kind: 'agent', id: 'a1' },
      session: 's',
      turn: ++seq,
      cmd: { id: `c${seq}`, type: 'effect.result', at },
      state: 'running',
      status: 'active',
      events: [
        {
          type: 'usage.recorded',
          effectId: `e${seq}`,
          step: seq,
          provider: 'anthropic',
          model: 'claude-haiku-4-5',
          usage,
          costMicros: cost,
          priceMicros: priceOf(cost, 5),
          markup: 5,
          priceTable: DEFAULT_PRICE_TABLE.version,
        },
      ] as JournalRecord['events'],
      effects: [],
      cancels: [],
    };
    project([[rec, seq]]);
    return cost;
  };
  let fault: (() => void) | undefined;
  const ledger = invoiceLedger(cluster.metrics);
  const handler = invoiceIssueHandler({
    usage: usageReader(cluster.metrics),
    flush: async () => {},
    plans: {},
    ledger,
    midIssue: () => fault?.(),
  });
  let effects = 0;
  const issue = (label: string, start: number, end: number, plan: string | null = null) =>
    handler({
      address: { org: 'o', ws: name, kind: 'billing', id: 'billing' },
      session: 'billing',
      attempt: 1,
      signal: new AbortController().signal,
      effect: {
        id: `fx${++effects}`,
        kind: 'invoice.issue',
        label,
        start,
        end,
        timeZone: 'UTC',
        issuedAt: end + 300_000,
        plans: [{ from: start, plan }],
        adjustments: [],
      },
    }) as Promise<Invoice>;
  return {
    cluster,
    ledger,
    call,
    issue,
    failNext: () => {
      fault = () => {
        fault = undefined;
        throw new Error('killed mid-issue');
      };
    },
  };
}

describe('late usage', () => {
  it('a call projected after its period was invoiced is an adjustment line on the next invoice, once', async () => {
    const w = workspace('w1');
    const novCost = w.call(NOV + 1000, 100) + w.call(NOV + 2000, 200);
    const nov = await w.issue('2026-11', NOV, DEC);
    expect(nov.totals.costMicros).toBe(novCost);
    expect(nov.lines.filter((l) => l.kind === 'adjustment')).toEqual([]);

    // journaled late: dated in November, projected after November's invoice
    const lateCost = w.call(DEC - 5, 1234);
    const decCost = w.call(DEC + 1000, 50);
    // the current period's draft already shows what December's invoice will bill late
    const draft = draftInvoice(
      { org: 'o', ws: 'w1' },
      { start: DEC, end: DEC + 2000, plan: null },
      { usage: usageReader(w.cluster.metrics), plans: {}, late: (start) => w.ledger.pending(start) },
    );
    expect(draft.lines.filter((l) => l.latePeriod === '2026-11').map((l) => l.costMicros)).toEqual([
      lateCost,
    ]);
    const dec = await w.issue('2026-12', DEC, JAN, 'team'); // on team (4×) now; the late call was on standard (5×)
    const late = dec.lines.filter((l) => l.kind === 'adjustment');
    expect(late).toEqual([
      {
        kind: 'adjustment',
        description: 'late usage from 2026-11: anthropic/claude-haiku-4-5 · a1',
        latePeriod: '2026-11',
        provider: 'anthropic',
        model: 'claude-haiku-4-5',
        agent: 'a1',
        calls: 1,
        inputTokens: 1234,
        outputTokens: 2468,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        unitPrices: { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 },
        priceTable: DEFAULT_PRICE_TABLE.version,
        costMicros: lateCost,
        priceMicros: priceOf(lateCost, 5),
        marginMicros: priceOf(lateCost, 5) - lateCost,
      },
    ]);
    expect(lateCost).toBe(1234 + 2468 * 5);
    const usage = dec.lines.filter((l) => l.kind === 'usage');
    expect(usage).toHaveLength(1);
    expect(usage[0]).toMatchObject({ costMicros: decCost, priceMicros: decCost * 4 });
    expect(dec.totals).toMatchObject({
      costMicros: decCost + lateCost,
      priceMicros: decCost * 4,
      creditsMicros: lateCost * 5,
      dueMicros: decCost * 4 + lateCost * 5,
      marginMicros: decCost * 4 + lateCost * 5 - decCost - lateCost,
    });

    // idempotent: the same period again returns the stored invoice, byte for byte
    expect(JSON.stringify(await w.issue('2026-12', DEC, JAN, 'team'))).toBe(JSON.stringify(dec));
    // billed once: January has no late line for it
    w.call(JAN + 1, 10);
    const jan = await w.issue('2027-01', JAN, FEB);
    expect(jan.lines.filter((l) => l.kind === 'adjustment')).toEqual([]);
    // every call is marked with the invoice that billed it
    const marks = w.cluster.metrics.prepare('SELECT at, invoice_id FROM calls ORDER BY seq').all() as {
      at: number;
      invoice_id: string;
    }[];
    expect(marks.map((m) => m.invoice_id)).toEqual([
      'inv-o.w1-2026-11',
      'inv-o.w1-2026-11',
      'inv-o.w1-2026-12',
      'inv-o.w1-2026-12',
      'inv-o.w1-2027-01',
    ]);
    w.cluster.close();
  });

  it('a crash mid-issue leaves nothing: the re-drive equals a clean run', async () => {
    const crashed = workspace('w2');
    const clean = workspace('w3');
    for (const w of [crashed, clean]) {
      w.call(NOV + 10, 300);
      await w.issue('2026-11', NOV, DEC);
      w.call(DEC - 1, 77); // late
      w.call(DEC + 10, 500);
    }
    crashed.failNext();
    await expect(crashed.issue('2026-12', DEC, JAN)).rejects.toThrow('killed mid-issue');
    // nothing stored, nothing marked by the failed attempt
    expect(
      crashed.cluster.metrics.prepare("SELECT COUNT(*) AS n FROM invoices WHERE label = '2026-12'").get(),
    ).toEqual({ n: 0 });
    const redriven = await crashed.issue('2026-12', DEC, JAN);
    const reference = await clean.issue('2026-12', DEC, JAN);
    const norm = (i: Invoice) => JSON.stringify({ ...i, id: 'x', ws: 'x' }).replaceAll(/w[23]/g, 'w');
    expect(norm(redriven)).toBe(norm(reference));
    expect(redriven.lines.filter((l) => l.latePeriod === '2026-11')).toHaveLength(1);
    crashed.cluster.close();
    clean.cluster.close();
  });
});
