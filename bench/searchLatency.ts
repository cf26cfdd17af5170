/**
 * `npm run bench:search [-- --json] [-- --turns 100000] [-- --samples 200]`: log search latency over
 * a workspace's full-text index holding 100,000 logged turns.
 *
 * The turns are generated directly into a fresh parsed_sessions.db through the real projector (the
 * code the projection worker runs), in batches of 1,000 per transaction: prompts of 8–40 words drawn
 * from a 5,000-word vocabulary with a Zipf-like skew (a few words are in most turns, most are
 * rare), 200 sessions, 2,000 agents and 100 coordinators, ~3% failed and ~2% cancelled turns, times
 * spread over 30 days. Then the node's own search service (`serveLogSearch`, the subscription a
 * hosting node runs) answers `moe.api.<org>.<ws>.search` requests on a private nats-server, and the
 * bench measures the round trip a client (the gateway, `moe search`) sees, per query shape, one
 * request at a time: p50 and p99 in ms. `in-process` is the SQLite query alone (searchLogs).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect } from '@nats-io/transport-node';
import { pino } from 'pino';
import { startNatsServer } from '../devkit/index.js';
import {
  searchServiceSubject,
  type JournalRecord,
  type SearchRequest,
  type SearchResponse,
} from '../schemas/index.js';
import { createProjector, openSqliteCluster, searchLogs, serveLogSearch } from '../workspace-node/index.js';
import { percentile } from './setup.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const num = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : dflt;
};
const TURNS = num('turns', 100_000);
const SAMPLES = num('samples', 200);
const log = (s: string) => {
  if (!json) process.stderr.write(`${s}\n`);
};

// a deterministic PRNG, so every run indexes the same text
let seed = 7;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const VOCABULARY = 5_000;
/** pronounceable, distinct words: w0 = "baba", … */
const word = (i: number) => {
  const syll = [
    'ba',
    'ko',
    'ri',
    'mu',
    'te',
    'sa',
    'lo',
    'ne',
    'pi',
    'du',
    'ga',
    'fe',
    'zo',
    'hu',
    'vi',
    'ja',
  ];
  let s = '';
  let n = i + 16;
  while (n > 0) {
    s += syll[n % 16]!;
    n = Math.floor(n / 16);
  }
  return s;
};
const words = Array.from({ length: VOCABULARY }, (_, i) => word(i));
/** Zipf-like: rank ~ 1 / u, capped to the vocabulary */
const zipf = () => words[Math.min(VOCABULARY - 1, Math.floor(1 / Math.max(rand(), 1 / VOCABULARY)) - 1)]!;
const sentence = (n: number) => Array.from({ length: n }, zipf).join(' ');

const ORG = 'bench';
const WS = 'search';
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);

function generatedTurn(i: number): JournalRecord {
  const coordinator = i % 50 === 0;
  const id = coordinator ? `c${i % 100}` : `a${i % 2000}`;
  const r = rand();
  const failed = r < 0.03;
  const cancelled = !failed && r < 0.05;
  const prompt = sentence(8 + Math.floor(rand() * 33));
  return {
    actor: { org: ORG, ws: WS, kind: coordinator ? 'coordinator' : 'agent', id },
    session: `s${i % 200}`,
    turn: 1 + Math.floor(i / 2100),
    cmd: {
      id: `c-${i}`,
      type: cancelled ? 'task.cancel' : 'task.submit',
      at: T0 + Math.floor((i / TURNS) * 30 * DAY),
      data: cancelled ? { reason: sentence(4) } : { prompt },
    },
    state: failed ? 'failed' : 'running',
    status: failed ? 'error' : 'active',
    events: failed
      ? [{ type: 'task.failed', code: 'MOE_ERR_TOOL_FAILED', reason: sentence(6) }]
      : cancelled
        ? [{ type: 'task.failed', code: 'cancelled', reason: 'cancelled' }]
        : [{ type: 'agent.replied', text: sentence(6 + Math.floor(rand() * 20)) }],
    effects: [],
    cancels: [],
  };
}

interface Shape {
  readonly name: string;
  readonly what: string;
  readonly request: (i: number) => SearchRequest;
}

/** words by frequency rank: the top ones are in a large share of the turns */
const common = (i: number) => words[i % 5]!;
const mid = (i: number) => words[50 + (i % 50)]!;
const rare = (i: number) => words[2_000 + (i % 1000)]!;
const SHAPES: Shape[] = [
  {
    name: 'common_word',
    what: 'one of the 5 most frequent words (matches a large share of all turns)',
    request: (i) => ({ q: common(i) }),
  },
  { name: 'mid_word', what: 'a word of frequency rank 50–100', request: (i) => ({ q: mid(i) }) },
  { name: 'rare_word', what: 'a word of frequency rank 2,000–3,000', request: (i) => ({ q: rare(i) }) },
  {
    name: 'two_words',
    what: 'two mid-frequency words (AND)',
    request: (i) => ({ q: `${mid(i)} ${mid(i + 7)}` }),
  },
  {
    name: 'phrase',
    what: 'a two-word phrase "common mid"',
    request: (i) => ({ q: `"${common(i)} ${mid(i)}"` }),
  },
  {
    name: 'prefix',
    what: 'a 4-letter prefix* of a mid word',
    request: (i) => ({ q: `${mid(i).slice(0, 4)}*` }),
  },
  {
    name: 'common_filtered',
    what: 'common word, one session, level error, a 10-day window',
    request: (i) => ({
      q: common(i),
      session: `s${i % 200}`,
      level: ['error'],
      from: T0 + 10 * DAY,
      to: T0 + 20 * DAY,
    }),
  },
  {
    name: 'common_page_10',
    what: 'common word, page 10 (offset 180, limit 20)',
    request: (i) => ({ q: common(i), offset: 180 }),
  },
];

const round = (x: number) => Math.round(x * 100) / 100;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'moe-bench-search-'));
  const ns = await startNatsServer();
  const cluster = openSqliteCluster(join(dir, 'db'));
  const server = await connect({ servers: ns.url });
  const client = await connect({ servers: ns.url });
  try {
    log(`indexing ${TURNS} turns through the projector…`);
    const project = createProjector(cluster);
    const started = performance.now();
    for (let at = 0; at < TURNS; at += 1000) {
      const batch = Array.from(
        { length: Math.min(1000, TURNS - at) },
        (_, k) => [generatedTurn(at + k), at + k + 1] as const,
      );
      project(batch);
    }
    const indexMs = performance.now() - started;
    cluster.parsed_sessions.pragma('wal_checkpoint(TRUNCATE)');
    const dbBytes = statSync(join(dir, 'db', 'parsed_sessions.db')).size;
    const svc = serveLogSearch(
      server,
      { org: ORG, ws: WS },
      cluster.parsed_sessions,
      pino({ level: 'silent' }),
    );
    const subject = searchServiceSubject(ORG, WS);
    const results: Record<string, unknown> = {};
    const rows: Array<[string, string, string]> = [];
    const all: number[] = [];
    for (const shape of SHAPES) {
      log(`${shape.name}: ${SAMPLES} requests…`);
      // warm-up: the first queries load pages into the cache
      for (let i = 0; i < 10; i++)
        await client.request(subject, JSON.stringify(shape.request(i)), { timeout: 30_000 });
      const nats: number[] = [];
      const local: number[] = [];
      let hits = 0;
      for (let i = 0; i < SAMPLES; i++) {
        const req = shape.request(i);
        const t = performance.now();
        const reply = (
          await client.request(subject, JSON.stringify(req), { timeout: 30_000 })
        ).json<SearchResponse>();
        nats.push(performance.now() - t);
        if ('error' in reply) throw new Error(`${shape.name}: ${reply.error.code} ${reply.error.message}`);
        hits += reply.hits.length;
        const l = performance.now();
        searchLogs(cluster.parsed_sessions, { org: ORG, ws: WS }, req);
        local.push(performance.now() - l);
      }
      all.push(...nats);
      nats.sort((a, b) => a - b);
      local.sort((a, b) => a - b);
      const [p50, p99] = [round(percentile(nats, 50)), round(percentile(nats, 99))];
      const total = (
        cluster.parsed_sessions
          .prepare('SELECT count(*) AS n FROM session_text WHERE session_text MATCH ?')
          .get(shape.request(0).q) as { n: number }
      ).n;
      results[shape.name] = {
        p50_ms: p50,
        p99_ms: p99,
        in_process_p50_ms: round(percentile(local, 50)),
        in_process_p99_ms: round(percentile(local, 99)),
        avg_hits_per_page: round(hits / SAMPLES),
        matches_of_first_query: total,
        what: shape.what,
      };
      rows.push([
        `search_${shape.name}`,
        `${p50} / ${p99}`,
        `p50 / p99 ms over NATS (SQLite alone ${round(percentile(local, 50))} / ${round(percentile(local, 99))}); ${shape.what}; ${total} matches for the first query`,
      ]);
    }
    svc.stop();
    all.sort((a, b) => a - b);
    const summary = {
      search_p50_ms: round(percentile(all, 50)),
      search_p99_ms: round(percentile(all, 99)),
      context: {
        turns: TURNS,
        samples_per_shape: SAMPLES,
        index_turns_per_s: Math.round(TURNS / (indexMs / 1000)),
        parsed_sessions_mb: round(dbBytes / 1e6),
        shapes: results,
      },
    };
    if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else {
      rows.unshift(
        [
          'search_all',
          `${summary.search_p50_ms} / ${summary.search_p99_ms}`,
          `p50 / p99 ms over every request below (${all.length})`,
        ],
        [
          'index_turns_per_s',
          String(summary.context.index_turns_per_s),
          `${TURNS} turns through the projector, 1,000 per transaction; parsed_sessions.db ${summary.context.parsed_sessions_mb} MB`,
        ],
      );
      for (const [k, v, note] of rows) process.stdout.write(`${k.padEnd(26)} ${v.padStart(14)}   ${note}\n`);
    }
  } finally {
    await client.close();
    await server.close();
    cluster.close();
    await ns.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
