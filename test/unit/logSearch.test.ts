/**
 * Log search over a real parsed_sessions.db filled by the real projector: ranking (bm25), filters
 * (session, agent, kind, time, level), snippets with highlight offsets, paging, FTS5 syntax errors
 * as a typed error, and the level each kind of turn gets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { openSqliteCluster, type SqliteCluster } from '../../workspace-node/sqliteCluster.js';
import { createProjector } from '../../workspace-node/projections.js';
import { searchLogs, unmark } from '../../workspace-node/logSearch.js';
import { answerSearch } from '../../workspace-node/searchService.js';
import { logLevel } from '../../workspace-node/logLevel.js';
import { isMoeError, type JournalRecord } from '../../schemas/index.js';
import { tempDir } from '../harness/index.js';

const where = { org: 'acme', ws: 'web' };
const dir = tempDir('moe-search-unit-');
let cluster: SqliteCluster;

function turn(
  n: number,
  o: {
    kind?: string;
    id: string;
    session: string;
    prompt?: string;
    type?: string;
    events?: object[];
    at: number;
  },
): JournalRecord {
  return {
    actor: { ...where, kind: o.kind ?? 'agent', id: o.id },
    session: o.session,
    turn: n,
    cmd: {
      id: `c-${o.id}-${n}`,
      type: o.type ?? 'task.submit',
      at: o.at,
      ...(o.prompt ? { data: { prompt: o.prompt } } : {}),
    },
    state: 'running',
    status: 'active',
    events: (o.events ?? [{ type: 'task.accepted' }]) as JournalRecord['events'],
    effects: [],
    cancels: [],
  };
}

beforeAll(() => {
  cluster = openSqliteCluster(dir.path);
  const project = createProjector(cluster);
  project([
    [turn(1, { id: 'a1', session: 's1', prompt: 'zebra zebra zebra crossing', at: 1000 }), 1],
    [
      turn(1, {
        id: 'a2',
        session: 's1',
        prompt: 'a zebra among many other animals in the long savanna text',
        at: 2000,
      }),
      2,
    ],
    [turn(1, { id: 'a3', session: 's2', prompt: 'giraffe only', at: 3000 }), 3],
    [
      turn(2, {
        id: 'a3',
        session: 's2',
        type: 'effect.failed',
        events: [{ type: 'task.failed', code: 'MOE_ERR_X', reason: 'zebra escaped' }],
        at: 4000,
      }),
      4,
    ],
    [turn(1, { kind: 'coordinator', id: 'c1', session: 's2', prompt: 'zebra plan', at: 5000 }), 5],
    [
      turn(3, {
        id: 'a3',
        session: 's2',
        type: 'task.cancel',
        events: [{ type: 'task.cancelled', note: 'zebra' }],
        at: 6000,
      }),
      6,
    ],
  ]);
});
afterAll(() => {
  cluster?.close();
  dir.remove();
});

const ids = (r: ReturnType<typeof searchLogs>) => r.hits.map((h) => `${h.actor.id}#${h.turn}`);

describe('searchLogs', () => {
  it('ranks by bm25: the turn that says zebra most and shortest comes first, scores descend', () => {
    const r = searchLogs(cluster.parsed_sessions, where, { q: 'zebra' });
    expect(r.hits.length).toBe(5);
    expect(r.hits[0]!.actor.id).toBe('a1');
    const scores = r.hits.map((h) => h.score);
    expect([...scores].sort((x, y) => y - x)).toEqual(scores);
    expect(r.nextOffset).toBeNull();
  });

  it('returns a snippet whose highlights cover exactly the matched term', () => {
    const [hit] = searchLogs(cluster.parsed_sessions, where, { q: 'giraffe' }).hits;
    expect(hit).toMatchObject({
      session: 's2',
      actor: { kind: 'agent', id: 'a3' },
      turn: 1,
      at: 3000,
      level: 'info',
      seq: 3,
    });
    expect(hit!.highlights.length).toBe(1);
    const [s, e] = hit!.highlights[0]!;
    expect(hit!.snippet.slice(s, e)).toBe('giraffe');
    expect([...hit!.snippet].some((c) => c < ' ')).toBe(false);
  });

  it('filters by session, agent, kind, time range and level', () => {
    const db = cluster.parsed_sessions;
    expect(ids(searchLogs(db, where, { q: 'zebra', session: 's1' })).sort()).toEqual(['a1#1', 'a2#1']);
    expect(ids(searchLogs(db, where, { q: 'zebra', agent: 'a3' })).sort()).toEqual(['a3#2', 'a3#3']);
    expect(ids(searchLogs(db, where, { q: 'zebra', kind: 'coordinator' }))).toEqual(['c1#1']);
    expect(ids(searchLogs(db, where, { q: 'zebra', from: 2000, to: 5000 })).sort()).toEqual(['a2#1', 'a3#2']);
    expect(ids(searchLogs(db, where, { q: 'zebra', level: ['error'] }))).toEqual(['a3#2']);
    expect(ids(searchLogs(db, where, { q: 'zebra', level: ['warn', 'error'] })).sort()).toEqual([
      'a3#2',
      'a3#3',
    ]);
  });

  it('ranks a query with more matches than the window among its newest matches only, and says so', () => {
    const db = cluster.parsed_sessions;
    expect(searchLogs(db, where, { q: 'zebra' }).windowed).toBe(false);
    const r = searchLogs(db, where, { q: 'zebra' }, 2);
    expect(r.windowed).toBe(true);
    expect(r.hits.map((h) => h.seq).sort()).toEqual([5, 6]);
    expect(searchLogs(db, where, { q: 'zebra', session: 's1' }, 2)).toMatchObject({ windowed: false });
  });

  it('pages by offset without repeating or losing a hit', () => {
    const db = cluster.parsed_sessions;
    const all = ids(searchLogs(db, where, { q: 'zebra' }));
    const seen: string[] = [];
    let offset: number | null = 0;
    while (offset !== null) {
      const page = searchLogs(db, where, { q: 'zebra', limit: 2, offset });
      expect(page.hits.length).toBeLessThanOrEqual(2);
      seen.push(...ids(page));
      offset = page.nextOffset;
    }
    expect(seen).toEqual(all);
  });

  it.each(['"unterminated', 'nosuchcolumn:zebra', 'AND', 'zebra OR', '(zebra', 'NEAR(zebra'])(
    'answers the query %s with MOE_ERR_SEARCH_QUERY, not a crash',
    (q) => {
      let caught: unknown;
      try {
        searchLogs(cluster.parsed_sessions, where, { q });
      } catch (err) {
        caught = err;
      }
      expect(isMoeError(caught) && caught.code).toBe('MOE_ERR_SEARCH_QUERY');
    },
  );

  it('the service answers bad JSON and bad fields with MOE_ERR_SEARCH_REQUEST', () => {
    const log = pino({ level: 'silent' });
    const enc = (s: string) => new TextEncoder().encode(s);
    const bad = ['{', '{}', '{"q":"x","limit":0}', '{"q":"x","level":["loud"]}', '{"q":"x","extra":1}'];
    for (const b of bad)
      expect(answerSearch(cluster.parsed_sessions, where, enc(b), log)).toMatchObject({
        error: { code: 'MOE_ERR_SEARCH_REQUEST' },
      });
    expect(answerSearch(cluster.parsed_sessions, where, enc('{"q":"giraffe"}'), log)).toMatchObject({
      hits: [{ turn: 1 }],
    });
  });
});

describe('unmark and logLevel', () => {
  it('unmark strips the markers and records offsets', () => {
    expect(unmark('a \u0002bc\u0003 d \u0002e\u0003')).toEqual({
      snippet: 'a bc d e',
      highlights: [
        [2, 4],
        [7, 8],
      ],
    });
  });

  it('levels: failures are error, cancels and fallbacks warn, silent turns debug, the rest info', () => {
    const r = (type: string, events: string[]) => ({
      cmd: { id: 'x', type, at: 0 },
      events: events.map((t) => ({ type: t })),
    });
    expect(logLevel(r('task.submit', ['task.accepted']))).toBe('info');
    expect(logLevel(r('effect.result', ['task.failed']))).toBe('error');
    expect(logLevel(r('effect.failed', []))).toBe('error');
    expect(logLevel(r('x', ['command.rejected']))).toBe('error');
    expect(logLevel(r('task.cancel', ['task.cancelled']))).toBe('warn');
    const cancelled = {
      cmd: { id: 'x', type: 'task.cancel', at: 0 },
      events: [{ type: 'task.failed', code: 'cancelled' }],
    };
    expect(logLevel(cancelled)).toBe('warn');
    expect(logLevel(r('effect.result', ['plan.fallback']))).toBe('warn');
    expect(logLevel(r('timer.fired', []))).toBe('debug');
  });
});
