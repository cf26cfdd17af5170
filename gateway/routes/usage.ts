/**
 * `GET /api/usage?org=…[&project=…&agent=…&provider=…&model=…]`: tokens, provider cost and
 * customer price (integer µ$) per project, agent (profile), provider and model, with totals. Read
 * from the gateway's usage projection (folded from the journal, rebuilt at start), so a request
 * never scans the journal. Scoped like everything else: rows of projects the caller cannot see are
 * left out; rows of tasks outside any project only show to org admins.
 *
 * `complete` is false while the projection catches up at start, and for good when turns it needs
 * were purged from the journal with no snapshot covering them: the answer then carries
 * `incomplete: { code: 'MOE_ERR_JOURNAL_PURGED', message }` (see gateway/journalGap.ts), so totals
 * known to be short are never served as if whole.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { atLeast } from '../access.js';
import { principal, type GatewayContext } from '../context.js';
import { requireTenant } from '../requestOrg.js';
import { errorResponses, UsageQuery } from '../httpSchemas.js';
import { addTotals, emptyTotals, type UsageRow } from '../usageProjection.js';

export function usageRoutes(ctx: GatewayContext): FastifyPluginAsyncTypebox {
  const { access, tenancy, usage } = ctx;
  return async (app) => {
    app.get(
      '/api/usage',
      { schema: { tags: ['usage'], querystring: UsageQuery, response: errorResponses(403, 404) } },
      async (req) => {
        const p = principal(req);
        const q = req.query;
        const { org, role } = requireTenant(req, access, 'viewer');
        if (q.project !== undefined) access.requireProject(p, q.project);
        const seesAll = atLeast(role, 'admin') && !(p.kind === 'apikey' && p.project !== null);
        // rows outside any project of this org (`project: null`, or a project since deleted) show to admins
        const visible = (r: UsageRow) => {
          const pv = r.project === null ? undefined : tenancy.projects.get(r.project);
          return pv && pv.org === org ? access.canSeeProject(p, pv) : seesAll;
        };
        const rows = usage
          .rowsOf(org)
          .filter(
            (r) =>
              (q.project === undefined || r.project === q.project) &&
              (q.agent === undefined || r.agent === q.agent) &&
              (q.provider === undefined || r.provider === q.provider) &&
              (q.model === undefined || r.model === q.model) &&
              visible(r),
          )
          .map((r) => ({ ...r }));
        const total = rows.reduce((t, r) => addTotals(t, r), emptyTotals());
        const gap = usage.incomplete;
        return {
          org,
          currency: 'USD',
          unit: 'micros',
          complete: usage.ready && gap === null,
          ...(gap ? { incomplete: { code: gap.code, message: gap.message } } : {}),
          rows,
          total,
        };
      },
    );
  };
}
