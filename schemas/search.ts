/**
 * The log search service's contract (`moe.api.<org>.<ws>.search`, request/reply over core NATS):
 * full-text search over a workspace's session logs (seed 002 `searchLogs`). The index
 * (`parsed_sessions.db`) lives in the SQLite cluster of the node that hosts the workspace, so that
 * node answers, for the one workspace in the subject; the gateway's `GET /api/workspaces/:id/search`
 * and `moe search` are clients of it. An org's NATS credential may publish to `moe.api.<org>.>`, so
 * an org can search its own workspaces over NATS too. docs/subjects.md, "Log search service".
 */
import { Type, type Static } from '@sinclair/typebox';

/** Most hits one reply carries. */
export const SEARCH_MAX_LIMIT = 100;
/** Hits per page when the request gives no limit. */
export const SEARCH_DEFAULT_LIMIT = 20;
/** Deepest offset a request may page to (bm25 ranking re-sorts every match per page). */
export const SEARCH_MAX_OFFSET = 10_000;

/**
 * Most matches a query ranks: one matching more is ranked among its newest 10,000 matches
 * (`windowed: true` in the reply). bm25 costs ~10 µs per match on the hosting node's main thread.
 */
export const SEARCH_RANK_WINDOW = 10_000;

/** How much a logged turn matters, lowest first (seed 002 `LogEntry.level`); workspace-node/logLevel.ts decides. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** ms since epoch from `2026-01-31T12:00:00Z` or `1767182400000`; undefined when it is neither. */
export function parseSearchTime(raw: string): number | undefined {
  const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  return Number.isSafeInteger(ms) && ms >= 0 ? ms : undefined;
}

export function searchServiceSubject(org: string, ws: string): string {
  return `moe.api.${org}.${ws}.search`;
}

const Token = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });
const Level = Type.Union(
  LOG_LEVELS.map((l) => Type.Literal(l)),
  {
    description:
      'debug: a turn that journaled no event; error: a failure or refusal; warn: a fallback, cancel, denial or expiry',
  },
);

export const SearchRequest = Type.Object(
  {
    q: Type.String({
      minLength: 1,
      maxLength: 1000,
      description:
        'an FTS5 query: words (all must match), "a phrase", OR, NOT, prefix*, NEAR(a b, 5), column:word (session, actor, kind, text)',
    }),
    session: Type.Optional(Token),
    agent: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9_-]{1,64}$',
        description: "the actor's id (an agent, coordinator, session, …)",
      }),
    ),
    kind: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9_-]{1,64}$',
        description: 'actor kind: agent, coordinator, session, …',
      }),
    ),
    from: Type.Optional(
      Type.Integer({ minimum: 0, description: 'turns at or after this time (ms since epoch)' }),
    ),
    to: Type.Optional(Type.Integer({ minimum: 0, description: 'turns before this time (ms since epoch)' })),
    level: Type.Optional(Type.Array(Level, { minItems: 1, maxItems: 4, description: 'only these levels' })),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: SEARCH_MAX_LIMIT, description: 'hits per page (default 20)' }),
    ),
    offset: Type.Optional(
      Type.Integer({ minimum: 0, maximum: SEARCH_MAX_OFFSET, description: 'hits to skip (paging)' }),
    ),
  },
  { additionalProperties: false, $id: 'SearchRequest' },
);
export type SearchRequest = Static<typeof SearchRequest>;

export const SearchHit = Type.Object(
  {
    seq: Type.Integer({ minimum: 0, description: 'MOE_EVT sequence of the journal entry holding the turn' }),
    turn: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
      description: "the actor's turn (null: indexed before turns were recorded here)",
    }),
    session: Type.String(),
    actor: Type.Object({ kind: Type.String(), id: Type.String() }, { additionalProperties: false }),
    at: Type.Union([Type.Integer(), Type.Null()], {
      description: 'time of the turn, ms since epoch (null: indexed before times were recorded)',
    }),
    level: Type.Union([Level, Type.Null()]),
    snippet: Type.String({ description: 'the best-matching fragment of the logged turn (FTS5 snippet)' }),
    highlights: Type.Array(Type.Tuple([Type.Integer(), Type.Integer()]), {
      description: 'the matched terms in snippet: [start, end) offsets in UTF-16 code units',
    }),
    score: Type.Number({ description: 'bm25 relevance, higher is better; hits are sorted by it' }),
  },
  { additionalProperties: false, $id: 'SearchHit' },
);
export type SearchHit = Static<typeof SearchHit>;

export const SearchResponse = Type.Union(
  [
    Type.Object(
      {
        hits: Type.Array(SearchHit),
        nextOffset: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], {
          description: 'offset of the next page; null when this page is the last',
        }),
        windowed: Type.Boolean({
          description:
            'true: the query matched more than 10,000 turns and was ranked among the newest 10,000 of them (narrow it: words, filters, from/to)',
        }),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        error: Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: false }),
      },
      { additionalProperties: false },
    ),
  ],
  { $id: 'SearchResponse' },
);
export type SearchResponse = Static<typeof SearchResponse>;
export type SearchPage = Extract<SearchResponse, { hits: unknown }>;

/**
 * The service's refusals, shared by the node (which answers them) and the gateway and CLI (which
 * map them to their own catalogues with the same code).
 */
export const SEARCH_ERROR_SPECS = {
  SEARCH_QUERY: {
    code: 'MOE_ERR_SEARCH_QUERY',
    message:
      'the search query is not valid FTS5 syntax (quote words with special characters: "a-b"; columns: session, actor, kind, text)',
    status: 400,
  },
  SEARCH_REQUEST: {
    code: 'MOE_ERR_SEARCH_REQUEST',
    message: 'search request is not valid (SearchRequest.json)',
    status: 400,
  },
  /** answered by the requester (gateway, CLI) when nobody answers the subject */
  SEARCH_UNAVAILABLE: {
    code: 'MOE_ERR_SEARCH_UNAVAILABLE',
    message:
      'no workspace-node hosts this workspace right now, so its log index cannot be searched; retry later',
    status: 503,
    retryable: true,
  },
  SEARCH_FAILED: {
    code: 'MOE_ERR_SEARCH_FAILED',
    message: "the hosting node could not read the workspace's search index (see its log)",
    status: 500,
  },
} as const;
