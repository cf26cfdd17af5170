/**
 * `moe search "<query>" --org O --workspace W [--session S] [--agent A] [--kind K] [--from T] [--to T]
 * [--level L,…] [--limit N] [--offset N] [--json]`: full-text search of a workspace's session logs
 * over NATS, through the workspace's search service `moe.api.<org>.<ws>.search` (schemas/search.ts),
 * which the node hosting the workspace answers. Prints the hits best first, the matched terms
 * marked (bold on a terminal, `**…**` otherwise), or the service's page as JSON with --json. A
 * query FTS5 cannot parse exits 1 with MOE_ERR_SEARCH_QUERY; no node hosting the workspace with
 * MOE_ERR_SEARCH_UNAVAILABLE.
 */
import { connect } from '@nats-io/transport-node';
import { natsAuthOptions, natsServers } from '../../actors/kernel/index.js';
import {
  isToken,
  LOG_LEVELS,
  parseSearchTime,
  SEARCH_MAX_LIMIT,
  SEARCH_MAX_OFFSET,
  searchServiceSubject,
  type LogLevel,
  type SearchHit,
  type SearchRequest,
  type SearchResponse,
} from '../../schemas/index.js';
import { errors } from '../errors.js';

export interface SearchArgs {
  q: string;
  org: string;
  workspace: string;
  session?: string;
  agent?: string;
  kind?: string;
  from?: string;
  to?: string;
  level?: string;
  limit?: string;
  offset?: string;
  json: boolean;
  natsUrl: string;
  timeoutMs: number;
  /** mark highlights with ANSI bold (stdout is a terminal) */
  bold: boolean;
}

const BY_CODE = new Map(
  [errors.SEARCH_QUERY, errors.SEARCH_REQUEST, errors.SEARCH_FAILED].map((f) => [f.spec.code, f]),
);

function integer(raw: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max)
    throw errors.USAGE(`${flag} takes an integer ${min}–${max}, got "${raw}"`);
  return n;
}

/** The request the flags describe, or MOE_ERR_USAGE. */
export function searchRequest(a: SearchArgs): SearchRequest {
  for (const [name, v] of [
    ['--org', a.org],
    ['--workspace', a.workspace],
    ['--session', a.session],
    ['--agent', a.agent],
    ['--kind', a.kind],
  ] as const) {
    if (v !== undefined && !isToken(v))
      throw errors.USAGE(`${name} must match [A-Za-z0-9_-]{1,64}, got "${v}"`);
  }
  const time = (raw: string | undefined, flag: string) => {
    if (raw === undefined) return undefined;
    const ms = parseSearchTime(raw);
    if (ms === undefined)
      throw errors.USAGE(`${flag} takes an ISO 8601 time or ms since epoch, got "${raw}"`);
    return ms;
  };
  const levels = a.level?.split(',');
  if (levels?.some((l) => !LOG_LEVELS.includes(l as LogLevel)))
    throw errors.USAGE(`--level takes a comma-separated list of ${LOG_LEVELS.join(', ')}, got "${a.level}"`);
  const from = time(a.from, '--from');
  const to = time(a.to, '--to');
  const limit = integer(a.limit, '--limit', 1, SEARCH_MAX_LIMIT);
  const offset = integer(a.offset, '--offset', 0, SEARCH_MAX_OFFSET);
  return {
    q: a.q,
    ...(a.session !== undefined ? { session: a.session } : {}),
    ...(a.agent !== undefined ? { agent: a.agent } : {}),
    ...(a.kind !== undefined ? { kind: a.kind } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(levels ? { level: [...new Set(levels)] as LogLevel[] } : {}),
    ...(limit !== undefined ? { limit } : {}),
    ...(offset !== undefined ? { offset } : {}),
  };
}

/** The snippet with its highlights marked. */
export function markedSnippet(hit: Pick<SearchHit, 'snippet' | 'highlights'>, bold: boolean): string {
  const [open, close] = bold ? ['\u001b[1m', '\u001b[22m'] : ['**', '**'];
  let out = '';
  let at = 0;
  for (const [s, e] of hit.highlights) {
    out += `${hit.snippet.slice(at, s)}${open}${hit.snippet.slice(s, e)}${close}`;
    at = e;
  }
  return out + hit.snippet.slice(at);
}

export async function searchCommand(a: SearchArgs, print: (s: string) => void): Promise<number> {
  const request = searchRequest(a);
  const nc = await connect({ servers: natsServers(a.natsUrl), timeout: 3000, ...natsAuthOptions() }).catch(
    (cause: unknown) => {
      throw errors.NATS_UNREACHABLE(`${a.natsUrl} (start one with \`moe up\`)`, { cause });
    },
  );
  try {
    const where = `${a.org}/${a.workspace}`;
    let reply: SearchResponse;
    try {
      const m = await nc.request(searchServiceSubject(a.org, a.workspace), JSON.stringify(request), {
        timeout: a.timeoutMs,
      });
      reply = m.json<SearchResponse>();
    } catch (cause) {
      if (cause instanceof Error && (cause as { isNoResponders?: () => boolean }).isNoResponders?.())
        throw errors.SEARCH_UNAVAILABLE(`${where} (is a workspace-node running? moe node list)`, { cause });
      throw errors.NODE_UNREACHABLE(`no answer from the node hosting ${where} within ${a.timeoutMs} ms`, {
        cause,
      });
    }
    if ('error' in reply) throw (BY_CODE.get(reply.error.code) ?? errors.SEARCH_FAILED)(reply.error.message);
    if (a.json) {
      print(JSON.stringify({ org: a.org, workspace: a.workspace, q: a.q, ...reply }));
      return 0;
    }
    print(`${reply.hits.length} hit(s) for ${JSON.stringify(a.q)} in ${where}`);
    for (const h of reply.hits) {
      const at = h.at === null ? '-' : new Date(h.at).toISOString();
      print(
        `${(h.level ?? '-').padEnd(5)} ${at}  ${h.actor.kind}:${h.actor.id}  session ${h.session}  seq ${h.seq} turn ${h.turn ?? '-'}  score ${h.score.toFixed(2)}`,
      );
      print(`      ${markedSnippet(h, a.bold)}`);
    }
    if (reply.nextOffset !== null) print(`more: --offset ${reply.nextOffset}`);
    if (reply.windowed) print('(more than 10,000 matches: ranked among the newest 10,000; narrow the query)');
    return 0;
  } finally {
    await nc.close().catch(() => undefined);
  }
}
