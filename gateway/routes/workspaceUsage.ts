/**
 * Usage analytics of one workspace (seed 002's billing service):
 *
 * - `GET /api/workspaces/:id/usage?from&to&groupBy=provider|agent|project|model|day`: rows per
 *   project, agent, provider and model, `groups` by one dimension, and the total, with cost,
 *   price and margin in integer µ$ (usageQuery.ts). `from` inclusive, `to` exclusive (ISO 8601 or
 *   epoch ms), counted on whole UTC hours.
 * - `GET /api/workspaces/:id/usage/suggestions?from&to`: cost suggestions computed from the same
 *   data, each with its estimated saving in µ$ (usageSuggestions.ts).
 *
 * A workspace of another org, or one an API key scoped to a project of another workspace cannot
 * see, is 404. Rows follow `GET /api/usage`'s scoping: projects the caller cannot see are left
 * out, and rows outside any project only show to org admins.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DEFAULT_PRICE_TABLE } from '../../schemas/index.js';
import { principal, type GatewayContext } from '../context.js';
import { errorResponses, IdParams } from '../httpSchemas.js';
import type { BucketRow } from '../usageBuckets.js';
import { queryUsage } from '../usageQuery.js';
import { rangeOf, rangeView, SuggestionsQuery, WorkspaceUsageQuery } from '../usageSchemas.js';
import { costSuggestions } from '../usageSuggestions.js';
import { completeness, usageVisibility } from './usage.js';

/** What the suggestions cannot compute from the journal, said in every answer. */
export const NOT_COMPUTED = [
  {
    kind: 'fallback-chain',
    reason:
      "the journal records the model that served each call, not the profile's fallback chain: cheaper-model compares every model an agent's runs used.",
  },
];

export function workspaceUsageRoutes(ctx: GatewayContext): FastifyPluginAsyncTypebox {
  const { access, usage } = ctx;
  return async (app) => {
    app.get(
      '/api/workspaces/:id/usage',
      {
        schema: {
          tags: ['usage'],
          params: IdParams,
          querystring: WorkspaceUsageQuery,
          response: errorResponses(404),
        },
      },
      async (req) => {
        const p = principal(req);
        const { ws, role } = access.requireWorkspace(p, req.params.id);
        const range = rangeOf(req.query);
        const groupBy = req.query.groupBy;
        const answer = queryUsage(
          usage,
          { org: ws.org, ws: ws.id, ...range },
          groupBy,
          usageVisibility(ctx, p, ws.org, role),
        );
        const undated = usage.undatedCalls(ws.org);
        return {
          org: ws.org,
          ws: ws.id,
          currency: 'USD',
          unit: 'micros',
          ...completeness(ctx),
          ...rangeView(range),
          ...(groupBy ? { groupBy } : {}),
          ...(undated > 0 ? { undatedCalls: undated } : {}),
          ...answer,
        };
      },
    );

    app.get(
      '/api/workspaces/:id/usage/suggestions',
      {
        schema: {
          tags: ['usage'],
          params: IdParams,
          querystring: SuggestionsQuery,
          response: errorResponses(404),
        },
      },
      async (req) => {
        const p = principal(req);
        const { ws, role } = access.requireWorkspace(p, req.params.id);
        const range = rangeOf(req.query);
        const visible = usageVisibility(ctx, p, ws.org, role);
        const rows: BucketRow[] = [];
        usage.forEachBucket({ org: ws.org, ws: ws.id, ...range }, (r) => {
          if (visible(r)) rows.push(r);
        });
        const suggestions = costSuggestions(rows);
        return {
          org: ws.org,
          ws: ws.id,
          currency: 'USD',
          unit: 'micros',
          ...completeness(ctx),
          ...rangeView(range),
          priceTable: DEFAULT_PRICE_TABLE.version,
          suggestions,
          estimatedSavingMicros: suggestions.reduce((s, x) => s + x.estimatedSavingMicros, 0),
          notComputed: NOT_COMPUTED,
        };
      },
    );
  };
}
