/**
 * The log search service of one hosted workspace: answers `moe.api.<org>.<ws>.search` (core NATS
 * request/reply, schemas/search.ts) from the workspace's `parsed_sessions.db` (logSearch.ts). The
 * node that hosts the workspace subscribes while it hosts it (WorkspaceHost.start → stop or
 * hand-over), so a request reaches the one node that holds the index; with none hosting it, the
 * requester gets "no responders" at once. Every request gets a reply: hits, or
 * `{error: {code, message}}` (a bad request, a query FTS5 cannot parse, an unreadable index).
 *
 * @example const svc = serveLogSearch(nc, { org, ws }, cluster.parsed_sessions, log); … svc.stop();
 */
import type Database from 'better-sqlite3';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import {
  codec,
  isMoeError,
  SchemaError,
  SearchRequest,
  searchServiceSubject,
  type SearchResponse,
} from '../schemas/index.js';
import { errors } from './errors.js';
import { searchLogs } from './logSearch.js';

const requests = codec(SearchRequest, 'SearchRequest');

/** The reply to one request's bytes (exported for the bench, which runs it without NATS). */
export function answerSearch(
  db: Database.Database,
  where: { org: string; ws: string },
  data: Uint8Array,
  log: Logger,
): SearchResponse {
  try {
    return searchLogs(db, where, requests.decode(data));
  } catch (err) {
    const refusal = (e: { code: string; message: string }) => ({
      error: { code: e.code, message: e.message },
    });
    if (err instanceof SchemaError) return refusal(errors.SEARCH_REQUEST(err.message));
    if (isMoeError(err)) return refusal(err);
    log.error({ err }, 'log search failed');
    return refusal(errors.SEARCH_FAILED(err instanceof Error ? err.message : String(err)));
  }
}

export function serveLogSearch(
  nc: NatsConnection,
  where: { org: string; ws: string },
  db: Database.Database,
  log: Logger,
): { stop(): void } {
  const sub = nc.subscribe(searchServiceSubject(where.org, where.ws), {
    callback: (err, m: Msg) => {
      if (err || !m.reply) return;
      m.respond(JSON.stringify(answerSearch(db, where, m.data, log)));
    },
  });
  return { stop: () => sub.unsubscribe() };
}
