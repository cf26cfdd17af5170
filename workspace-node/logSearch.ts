/**
 * Log search over one workspace's full-text index (`parsed_sessions.db`: the FTS5 table
 * `session_text`, one row per logged turn, and `session_text_meta`, its turn, time and level).
 * Ranked by bm25 (best first, newest first among equals; among the newest SEARCH_RANK_WINDOW
 * matches when there are more), filtered by session, actor id, actor kind,
 * time and level, paged by offset; each hit carries the FTS5 snippet of the turn's text with the
 * matched terms as offsets. A query FTS5 cannot parse is a typed MOE_ERR_SEARCH_QUERY, never a
 * crash or a 500. Reads only: the projection worker writes the index on its own connection (WAL).
 *
 * @example const page = searchLogs(cluster.parsed_sessions, { org, ws }, { q: 'login bug', limit: 10 });
 */
import type Database from 'better-sqlite3';
import {
  SEARCH_DEFAULT_LIMIT,
  SEARCH_RANK_WINDOW,
  type LogLevel,
  type SearchHit,
  type SearchPage,
  type SearchRequest,
} from '../schemas/index.js';
import { errors } from './errors.js';

/** snippet() markers: control characters that never occur in the indexed (JSON) text */
const OPEN = '\u0002';
const CLOSE = '\u0003';
/** tokens of context a snippet carries */
const SNIPPET_TOKENS = 24;
/** the `text` column of session_text (session, actor, kind, text, seq) */
const TEXT_COLUMN = 3;

interface Row {
  session: string;
  actor: string;
  kind: string;
  seq: number;
  turn: number | null;
  at: number | null;
  level: LogLevel | null;
  snip: string;
  rank: number;
}

/** The snippet without markers, and where the markers were. */
export function unmark(marked: string): { snippet: string; highlights: Array<[number, number]> } {
  let snippet = '';
  const highlights: Array<[number, number]> = [];
  let start = -1;
  for (const ch of marked) {
    if (ch === OPEN) start = snippet.length;
    else if (ch === CLOSE) {
      if (start >= 0 && snippet.length > start) highlights.push([start, snippet.length]);
      start = -1;
    } else snippet += ch;
  }
  return { snippet, highlights };
}

/** True for the errors SQLite raises while parsing an FTS5 query (not for a closed or broken database). */
function isQueryError(err: unknown): boolean {
  if (!(err instanceof Error) || (err as { code?: string }).code !== 'SQLITE_ERROR') return false;
  return /fts5|syntax error|no such column|unterminated string|unknown special query|malformed MATCH/i.test(
    err.message,
  );
}

export function searchLogs(
  db: Database.Database,
  where: { org: string; ws: string },
  req: SearchRequest,
  rankWindow = SEARCH_RANK_WINDOW,
): SearchPage {
  const run = <T>(sql: string, params: Record<string, unknown>): T[] => {
    try {
      return db.prepare(sql).all(params) as T[];
    } catch (err) {
      if (isQueryError(err)) throw errors.SEARCH_QUERY((err as Error).message, { cause: err });
      throw err;
    }
  };
  const conds = ['session_text MATCH @q'];
  const params: Record<string, unknown> = { q: req.q };
  if (req.session !== undefined) {
    conds.push('session_text.session = @session');
    params.session = req.session;
  }
  if (req.kind !== undefined) {
    conds.push('session_text.kind = @kind');
    params.kind = req.kind;
  }
  if (req.agent !== undefined) {
    // actor = <org>.<ws>.<kind>.<id>; tokens hold no GLOB metacharacters
    conds.push('session_text.actor GLOB @actorGlob');
    params.actorGlob = `${where.org}.${where.ws}.*.${req.agent}`;
  }
  if (req.from !== undefined) {
    conds.push('m.at >= @from');
    params.from = req.from;
  }
  if (req.to !== undefined) {
    conds.push('m.at < @to');
    params.to = req.to;
  }
  if (req.level !== undefined) {
    const names = req.level.map((l, i) => {
      params[`level${i}`] = l;
      return `@level${i}`;
    });
    conds.push(`m.level IN (${names.join(', ')})`);
  }
  const limit = req.limit ?? SEARCH_DEFAULT_LIMIT;
  const offset = req.offset ?? 0;
  params.limit = limit + 1;
  params.offset = offset;
  params.open = OPEN;
  params.close = CLOSE;
  const filtered = `FROM session_text LEFT JOIN session_text_meta m ON m.doc = session_text.rowid
      WHERE ${conds.join(' AND ')}`;
  // bm25 costs ~10 µs per match and runs on the node's main thread: a query matching more than
  // `rankWindow` turns is ranked among its newest `rankWindow` matches only (rowids grow with time;
  // walking matches newest first costs no ranking), so every search answers within a bound.
  params.window = rankWindow - 1;
  // the window's oldest match, and whether one more (older) exists
  const edge = run<{ doc: number }>(
    `SELECT session_text.rowid AS doc ${filtered} ORDER BY session_text.rowid DESC LIMIT 2 OFFSET @window`,
    params,
  );
  const windowed = edge.length === 2;
  params.oldest = windowed ? edge[0]!.doc : 0;
  // Two steps: rank the matches by bm25 and keep one page of rowids, then build snippets for that
  // page only: snippet() over every match of a common word costs more than ranking them.
  const sql = `WITH page AS (
      SELECT session_text.rowid AS doc, bm25(session_text) AS rank, session_text.seq AS seq, m.turn AS turn
      ${filtered} AND session_text.rowid >= @oldest
      ORDER BY rank, session_text.seq DESC, m.turn DESC
      LIMIT @limit OFFSET @offset)
    SELECT session_text.session AS session, session_text.actor AS actor, session_text.kind AS kind,
      page.seq AS seq, page.turn AS turn, m.at AS at, m.level AS level,
      snippet(session_text, ${TEXT_COLUMN}, @open, @close, '…', ${SNIPPET_TOKENS}) AS snip, page.rank AS rank
    FROM page CROSS JOIN session_text ON session_text.rowid = page.doc
      LEFT JOIN session_text_meta m ON m.doc = page.doc
    WHERE session_text MATCH @q
    ORDER BY page.rank, page.seq DESC, page.turn DESC`;
  const rows = run<Row>(sql, params);
  const hits = rows.slice(0, limit).map((r): SearchHit => {
    const id = r.actor.split('.').at(-1) ?? r.actor;
    return {
      seq: r.seq,
      turn: r.turn,
      session: r.session,
      actor: { kind: r.kind, id },
      at: r.at === null ? null : Math.trunc(r.at),
      level: r.level,
      ...unmark(r.snip),
      // bm25() is lower-is-better and negative; the API's score is higher-is-better
      score: -r.rank,
    };
  });
  return { hits, nextOffset: rows.length > limit ? offset + limit : null, windowed };
}
