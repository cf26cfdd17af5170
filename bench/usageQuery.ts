/**
 * `npm run bench:usage [-- --json] [-- --calls 1000000] [-- --samples 200]`: usage analytics over
 * 1,000,000 provider calls.
 *
 * The calls are folded through the gateway's real usage projection (`UsageProjection.apply`, what
 * its journal followers run) as journal records: 250,000 tasks of 4 calls each (the last record of
 * a task also completes it, ~3 % fail), spread evenly over 30 days of November 2026, in 4
 * workspaces × 5 projects, 10 agents and 6 provider/model pairs (each task on one), with cache
 * reads on half the calls. Then it measures, one query at a time, what the routes compute
 * (`queryUsage`, gateway/usageQuery.ts, with the same visibility callback shape): a month of one
 * workspace grouped by day (the figure issue 12 asks for), the same for the whole org, a month by
 * provider, and `totalsOf` (the billing route's "period so far"): p50 and p99 in ms. Also: fold
 * time, bucket rows held, heap after GC, and the gzipped snapshot size. HTTP and authentication
 * are not included (see bench/gatewayOverhead.ts for the gateway's own overhead).
 */
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import type { JournalRecord } from '../schemas/index.js';
import { UsageProjection, queryUsage, type UsageGroupBy } from '../gateway/index.js';
import { percentile } from './setup.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const num = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : dflt;
};
const CALLS = num('calls', 1_000_000);
const SAMPLES = num('samples', 200);
const CALLS_PER_TASK = 4;
const log = (s: string) => {
  if (!json) process.stderr.write(`${s}\n`);
};

const ORG = 'obench';
const MONTH_START = Date.UTC(2026, 10, 1);
const MONTH_MS = 30 * 86_400_000;
const WORKSPACES = Array.from({ length: 4 }, (_, i) => `w${String(i).padStart(16, '0')}`);
const PROJECTS = Array.from({ length: 5 }, (_, i) => `p${String(i).padStart(16, '0')}`);
const AGENTS = Array.from({ length: 10 }, (_, i) => `agent${i}`);
const MODELS = [
  ['anthropic', 'claude-sonnet-4-5'],
  ['anthropic', 'claude-haiku-4-5'],
  ['openai', 'gpt-5'],
  ['openai', 'gpt-5-mini'],
  ['gemini', 'gemini-2.5-flash'],
  ['kimi', 'kimi-k2-0905-preview'],
] as const;

function fold(u: UsageProjection): number {
  const tasks = Math.ceil(CALLS / CALLS_PER_TASK);
  const spacing = MONTH_MS / tasks;
  let seq = 0;
  const started = performance.now();
  for (let t = 0; t < tasks; t++) {
    const ws = WORKSPACES[t % WORKSPACES.length]!;
    const project = PROJECTS[(t >> 2) % PROJECTS.length]!;
    const id = `${ws}-${project}-t${String(t).padStart(16, '0')}`;
    const actor = { org: ORG, ws, kind: 'agent', id };
    const [provider, model] = MODELS[t % MODELS.length]!;
    const at = MONTH_START + Math.floor(t * spacing);
    const base = { actor, session: '_workspace', state: 's', effects: [], cancels: [] };
    u.apply(
      {
        ...base,
        turn: 1,
        cmd: {
          id: `${id}-1`,
          type: 'task.submit',
          at,
          data: { prompt: 'x', profile: AGENTS[t % AGENTS.length] },
        },
        status: 'active',
        events: [{ type: 'task.accepted', prompt: 'x' }],
      },
      ++seq,
    );
    for (let c = 1; c <= CALLS_PER_TASK; c++) {
      const usage = {
        inputTokens: 800 + c * 200,
        outputTokens: 150,
        cacheReadTokens: c % 2 ? 600 : 0,
        cacheWriteTokens: 0,
      };
      const events: JournalRecord['events'] = [
        {
          type: 'usage.recorded',
          effectId: `${c}.0`,
          step: c,
          provider,
          model,
          usage,
          costMicros: 900 + c,
          priceMicros: 5 * (900 + c),
        },
      ];
      const last = c === CALLS_PER_TASK;
      const failed = last && t % 33 === 0;
      if (last)
        events.push(
          failed
            ? { type: 'task.failed', code: 'MOE_ERR_PROVIDER', reason: 'x' }
            : { type: 'task.completed', result: 'ok', steps: c, provider, usage },
        );
      u.apply(
        {
          ...base,
          turn: c + 1,
          cmd: { id: `${id}-${c + 1}`, type: 'effect.result', at: at + c * 2000 },
          status: last ? (failed ? 'error' : 'done') : 'active',
          events,
        },
        ++seq,
      );
    }
  }
  return performance.now() - started;
}

function measure(name: string, run: () => unknown) {
  for (let i = 0; i < 5; i++) run(); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t = performance.now();
    run();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const r = { name, p50: +percentile(ms, 50).toFixed(3), p99: +percentile(ms, 99).toFixed(3) };
  log(`${name.padEnd(34)} p50 ${r.p50.toFixed(3)} ms   p99 ${r.p99.toFixed(3)} ms`);
  return r;
}

const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const heapBefore = process.memoryUsage().heapUsed;
const u = new UsageProjection();
log(`folding ${CALLS.toLocaleString('en')} calls…`);
const foldMs = fold(u);
gc?.();
const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
const stored = (
  u as unknown as { buckets: { stored(): { hours: unknown[]; days: unknown[] } } }
).buckets.stored();
const snap = [...stored.hours, ...stored.days];
const snapshotGzBytes = gzipSync(JSON.stringify(snap)).length;
const month = { org: ORG, from: MONTH_START, to: MONTH_START + MONTH_MS };
const visible = () => true;
const total = u.totalsOf({ org: ORG });
if (
  total.calls !== CALLS - (CALLS % CALLS_PER_TASK ? CALLS_PER_TASK - (CALLS % CALLS_PER_TASK) : 0) &&
  total.calls < CALLS
)
  throw new Error(`folded ${total.calls} calls, expected ${CALLS}`);
log(
  `folded in ${(foldMs / 1000).toFixed(1)} s (${Math.round(total.calls / (foldMs / 1000)).toLocaleString('en')} calls/s); ${snap.length.toLocaleString('en')} bucket rows, heap +${heapMb.toFixed(0)} MB${gc ? '' : ' (no --expose-gc: rough)'}, snapshot ${(snapshotGzBytes / 1e6).toFixed(1)} MB gzipped`,
);
const q = (f: object, by: UsageGroupBy | undefined) => () => queryUsage(u, { ...month, ...f }, by, visible);
const results = [
  measure('workspace month by day', q({ ws: WORKSPACES[0] }, 'day')),
  measure('org month by day', q({}, 'day')),
  measure('org month by provider', q({}, 'provider')),
  measure(
    'workspace one day by model',
    q({ ws: WORKSPACES[0], from: MONTH_START + 86_400_000 * 10, to: MONTH_START + 86_400_000 * 11 }, 'model'),
  ),
  measure('totalsOf workspace month', () => u.totalsOf({ ...month, ws: WORKSPACES[0] })),
];
if (json)
  process.stdout.write(
    `${JSON.stringify({ calls: total.calls, foldMs: Math.round(foldMs), bucketRows: snap.length, heapMb: Math.round(heapMb), snapshotGzBytes, samples: SAMPLES, results })}\n`,
  );
