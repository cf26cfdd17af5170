/**
 * Log search (seed 002 `searchLogs`): `GET /api/workspaces/:id/search?q=…` over the workspace's
 * full-text index of session logs. The index lives in the SQLite cluster of the workspace-node that
 * hosts the workspace, so the gateway (which has no SQLite of its own) asks that node over the
 * workspace's search service, `moe.api.<org>.<ws>.search` (schemas/search.ts), and relays the page.
 *
 * Tenancy: a workspace the caller cannot see is 404, like every route. The index holds every
 * project's logs of the workspace, so the caller must also see every project in it (org admins
 * and owners do; others need a grant on each; a project-scoped key only its one project): else 403.
 * Errors: a query FTS5 cannot parse is 400 MOE_ERR_SEARCH_QUERY; no node hosting the workspace
 * right now is 503 MOE_ERR_SEARCH_UNAVAILABLE (retryable); no answer in time is 504.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  isMoeError,
  LOG_LEVELS,
  parseSearchTime,
  searchServiceSubject,
  type LogLevel,
  type SearchRequest,
  type SearchResponse,
} from '../../schemas/index.js';
import { principal, type GatewayContext } from '../context.js';
import { errors } from '../errors.js';
import { errorResponses, IdParams, SearchQuery } from '../httpSchemas.js';
import { isNatsOutage, NATS_RETRY_AFTER_MS, natsUnavailable } from '../natsLink.js';

function time(raw: string, name: string): number {
  const ms = parseSearchTime(raw);
  if (ms === undefined)
    throw errors.VALIDATION(`querystring/${name}: not an ISO 8601 time or ms since epoch: ${raw}`);
  return ms;
}

const BY_CODE = new Map(
  [errors.SEARCH_QUERY, errors.SEARCH_REQUEST, errors.SEARCH_FAILED].map((f) => [f.spec.code, f]),
);

export function searchRoutes(ctx: GatewayContext): FastifyPluginAsyncTypebox {
  const { access, tenancy, bus } = ctx;
  return async (app) => {
    app.get(
      '/api/workspaces/:id/search',
      {
        schema: {
          tags: ['workspaces'],
          summary: "Full-text search of the workspace's session logs (ranked, filtered, paged)",
          params: IdParams,
          querystring: SearchQuery,
          response: errorResponses(403, 404, 503, 504),
        },
      },
      async (req) => {
        const p = principal(req);
        const { ws } = access.requireWorkspace(p, req.params.id);
        for (const project of tenancy.projects.values())
          if (project.workspace === ws.id && !access.canSeeProject(p, project))
            throw errors.FORBIDDEN(
              `searching workspace ${ws.id} reads the logs of every project in it, and you cannot see project ${project.id}`,
            );
        const q = req.query;
        const request: SearchRequest = {
          q: q.q,
          ...(q.session !== undefined ? { session: q.session } : {}),
          ...(q.agent !== undefined ? { agent: q.agent } : {}),
          ...(q.kind !== undefined ? { kind: q.kind } : {}),
          ...(q.from !== undefined ? { from: time(q.from, 'from') } : {}),
          ...(q.to !== undefined ? { to: time(q.to, 'to') } : {}),
          ...(q.level !== undefined
            ? {
                level: [...new Set(q.level.split(','))].filter((l): l is LogLevel =>
                  LOG_LEVELS.includes(l as LogLevel),
                ),
              }
            : {}),
          ...(q.limit !== undefined ? { limit: q.limit } : {}),
          ...(q.offset !== undefined ? { offset: q.offset } : {}),
        };
        bus.link.assertUp('log search');
        let reply: SearchResponse;
        try {
          const m = await bus.nc.request(searchServiceSubject(ws.org, ws.id), JSON.stringify(request), {
            timeout: ctx.commandTimeoutMs,
          });
          reply = m.json<SearchResponse>();
        } catch (err) {
          if (isMoeError(err)) throw err;
          if (err instanceof Error && (err as { isNoResponders?: () => boolean }).isNoResponders?.())
            throw errors.SEARCH_UNAVAILABLE(`workspace ${ws.id}`, { retryAfterMs: NATS_RETRY_AFTER_MS });
          if (err instanceof Error && /timeout/i.test(`${err.name} ${err.message}`))
            throw errors.TIMEOUT(`the node hosting workspace ${ws.id} did not answer the search in time`);
          if (isNatsOutage(err)) throw natsUnavailable('log search', err);
          throw err;
        }
        if ('error' in reply) {
          const factory = BY_CODE.get(reply.error.code) ?? errors.SEARCH_FAILED;
          throw factory(reply.error.message);
        }
        return {
          workspace: ws.id,
          q: q.q,
          hits: reply.hits,
          nextOffset: reply.nextOffset,
          windowed: reply.windowed,
        };
      },
    );
  };
}
