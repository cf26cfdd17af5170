/**
 * `npm run bench:invoice [-- --json] [-- --calls 1000000] [-- --runs 5]`: invoice generation time
 * for a workspace with 1M provider calls in the billed month.
 *
 * The calls are written straight into a fresh workspace's `calls` table (metrics.db, the schema the
 * projection writes), spread over a 31-day month: 40 agents × 6 provider/models, token counts and
 * µ$ costs varying per call. Then the `invoice.issue` computation (billing/usageGroups.ts reading
 * the grouped sums, billing/invoiceLines.ts building the invoice) runs `runs` times for the whole
 * month, once with one plan and once with a mid-month plan change (two segments, two range
 * scans): min / median / max in ms. The timing is what the effect handler spends after its
 * projection flush. The first read builds the covering index (timed apart: once per database).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  buildInvoice,
  DEFAULT_PRICE_TABLE,
  invoiceLedger,
  openSqliteCluster,
  usageReader,
  type PricedSegment,
} from '../workspace-node/index.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const num = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : dflt;
};
const CALLS = num('calls', 1_000_000);
const RUNS = num('runs', 5);
const log = (s: string) => {
  if (!json) process.stderr.write(`${s}\n`);
};

const START = Date.UTC(2026, 9, 1);
const END = Date.UTC(2026, 10, 1);
const MODELS = [
  ['anthropic', 'claude-sonnet-4-5'],
  ['anthropic', 'claude-haiku-4-5'],
  ['openai', 'gpt-5'],
  ['openai', 'gpt-5-mini'],
  ['gemini', 'gemini-2.5-flash'],
  ['kimi', 'kimi-k2-turbo-preview'],
] as const;

function fill(dir: string) {
  const cluster = openSqliteCluster(dir);
  const insert = cluster.metrics.prepare(
    `INSERT INTO calls (seq, turn, actor, session, provider, model, input_tokens, output_tokens,
       cache_read_tokens, cache_write_tokens, at, effect_id, cost_micros, price_micros, markup, duration_ms,
       price_table)
     VALUES (?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 5, ?, ?)`,
  );
  const span = END - START;
  const batch = cluster.metrics.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const [provider, model] = MODELS[i % MODELS.length]!;
      const cost = 50 + ((i * 7919) % 20_000);
      insert.run(
        i + 1,
        `o.w.agent.a${i % 40}`,
        `s${i % 500}`,
        provider,
        model,
        200 + (i % 3000),
        50 + (i % 800),
        i % 7 === 0 ? 1000 : 0,
        i % 13 === 0 ? 500 : 0,
        START + Math.floor((span * i) / CALLS),
        `${i}.0`,
        cost,
        cost * 5,
        100 + (i % 900),
        DEFAULT_PRICE_TABLE.version,
      );
    }
  });
  for (let i = 0; i < CALLS; i += 10_000) batch(i, Math.min(CALLS, i + 10_000));
  return cluster;
}

function timeRuns(fn: () => unknown): { min: number; median: number; max: number } {
  const ms: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now();
    fn();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    min: round(ms[0]!),
    median: round(ms[Math.floor(ms.length / 2)]!),
    max: round(ms[ms.length - 1]!),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'moe-bench-invoice-'));
try {
  log(`writing ${CALLS} calls…`);
  const t0 = performance.now();
  const cluster = fill(dir);
  log(`written in ${Math.round(performance.now() - t0)} ms`);
  const usage = usageReader(cluster.metrics);
  // the first read builds the covering index (once per workspace database)
  const t1 = performance.now();
  usage(START, START + 1);
  const indexMs = Math.round(performance.now() - t1);
  log(`covering index built in ${indexMs} ms`);
  const base = {
    org: 'o',
    ws: 'w',
    label: '2026-10',
    start: START,
    end: END,
    timeZone: 'UTC',
    issuedAt: END,
    adjustments: [],
  };
  const standard = { name: 'standard', markup: 5 };
  const team = { name: 'team', markup: 4, feeMicros: 49_000_000, includedCreditsMicros: 10_000_000 };
  let lines = 0;
  let total = 0;
  const one = timeRuns(() => {
    const segments: PricedSegment[] = [{ from: START, to: END, plan: standard, usage: usage(START, END) }];
    const inv = buildInvoice({ ...base, segments });
    lines = inv.lines.length;
    total = inv.totals.dueMicros;
  });
  const mid = START + 15 * 86_400_000;
  const two = timeRuns(() => {
    const segments: PricedSegment[] = [
      { from: START, to: mid, plan: standard, usage: usage(START, mid) },
      { from: mid, to: END, plan: team, usage: usage(mid, END) },
    ];
    buildInvoice({ ...base, segments });
  });
  // the issue itself, once (a period is issued once): the same read inside the ledger's IMMEDIATE
  // transaction, plus storing the invoice and marking every call of the period with its id
  const ledger = invoiceLedger(cluster.metrics);
  const t2 = performance.now();
  ledger.issue(
    'inv-o.w-2026-10',
    { label: '2026-10', start: START, end: END, segments: [{ from: START, to: END, markup: 5 }] },
    (late) =>
      buildInvoice({
        ...base,
        late,
        segments: [{ from: START, to: END, plan: standard, usage: usage(START, END) }],
      }),
  );
  const issueMs = Math.round(performance.now() - t2);
  cluster.close();
  const result = {
    issueMs,
    calls: CALLS,
    runs: RUNS,
    indexMs,
    lines,
    dueMicros: total,
    onePlanMs: one,
    planChangeMs: two,
  };
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else
    log(
      `invoice over ${CALLS} calls (${lines} lines): one plan ${one.median} ms median (min ${one.min}, max ${one.max}); ` +
        `mid-month plan change ${two.median} ms median (min ${two.min}, max ${two.max}); ` +
        `issued through the ledger (read + store + mark ${CALLS} calls) once: ${issueMs} ms`,
    );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
