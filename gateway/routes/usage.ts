/**
 * `GET /api/usage?org=…[&ws=…&project=…&agent=…&provider=…&model=…&from=…&to=…&groupBy=…]`: tokens,
 * provider cost, customer price and margin (integer µ$: `costMicros`, `priceMicros`,
 * `marginMicros` = price − cost) per project, agent (profile), provider and model, with totals.
 * Read from the gateway's usage projection (folded from the journal, rebuilt at start), so a
 * request never scans the journal. Scoped like everything else: rows of projects the caller
 * cannot see are left out; rows of tasks outside any project only show to org admins.
 *
 * Without `from`, `to`, `ws` or `groupBy` the answer is the all-time one it always was. With any of
 * them it is computed from the projection's hour buckets (gateway/usageQuery.ts): `from`
 * inclusive, `to` exclusive (ISO 8601 or epoch ms, whole UTC hours), `groups` when `groupBy` is
 * given, and `undatedCalls` when calls loaded from a snapshot older than the buckets carry no time.
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
import { errors } from '../errors.js';
import { errorResponses } from '../httpSchemas.js';
import { addTotals, emptyTotals, type UsageRow } from '../usageProjection.js';
import { queryUsage, withMargin } from '../usageQuery.js';
import { rangeOf, rangeView, UsageQuery } from '../usageSchemas.js';
import type { OrgRole } from '../../schemas/index.js';
import type { Principal } from '../access.js';

/**
 * Which usage rows `p` (with `role` in `org`) may see: those of projects it can see; rows outside
 * any project of this org (`project: null`, or a project since deleted) show to admins only.
 */
export function usageVisibility(ctx: GatewayContext, p: Principal, org: string, role: OrgRole) {
  const { access, tenancy } = ctx;
  const seesAll = atLeast(role, 'admin') && !(p.kind === 'apikey' && p.project !== null);
  const seen = new Map<string | null, boolean>();
  return (r: { project: string | null }): boolean => {
    let ok = seen.get(r.project);
    if (ok === undefined) {
      const pv = r.project === null ? undefined : tenancy.projects.get(r.project);
      ok = pv && pv.org === org ? access.canSeeProject(p, pv) : seesAll;
      seen.set(r.project, ok);
    }
    return ok;
  };
}

/** `complete` and `incomplete` of an answer (see the module comment). */
export function completeness(ctx: GatewayContext) {
  const gap = ctx.usage.incomplete;
  return {
    complete: ctx.usage.ready && gap === null,
    ...(gap ? { incomplete: { code: gap.code, message: gap.message } } : {}),
  };
}

export function usageRoutes(ctx: GatewayContext): FastifyPluginAsyncTypebox {
  const { access, usage } = ctx;
  return async (app) => {
    app.get(
      '/api/usage',
      { schema: { tags: ['usage'], querystring: UsageQuery, response: errorResponses(403, 404) } },
      async (req) => {
        const p = principal(req);
        const q = req.query;
        const { org, role } = requireTenant(req, access, 'viewer');
        if (q.project !== undefined) access.requireProject(p, q.project);
        // a workspace of another org is as unknown here as one that does not exist
        if (q.ws !== undefined && access.requireWorkspace(p, q.ws).ws.org !== org)
          throw errors.NOT_FOUND(`workspace ${q.ws}`);
        const canSee = usageVisibility(ctx, p, org, role);
        const visible = (r: Omit<UsageRow, keyof ReturnType<typeof emptyTotals>>) =>
          (q.project === undefined || r.project === q.project) &&
          (q.agent === undefined || r.agent === q.agent) &&
          (q.provider === undefined || r.provider === q.provider) &&
          (q.model === undefined || r.model === q.model) &&
          canSee(r);
        const head = { org, currency: 'USD', unit: 'micros', ...completeness(ctx) };
        const ranged =
          q.from !== undefined || q.to !== undefined || q.ws !== undefined || q.groupBy !== undefined;
        if (!ranged) {
          const rows = usage
            .rowsOf(org)
            .filter(visible)
            .map((r) => withMargin({ ...r }));
          const total = withMargin(rows.reduce((t, r) => addTotals(t, r), emptyTotals()));
          return { ...head, rows, total };
        }
        const range = rangeOf(q);
        const answer = queryUsage(
          usage,
          { org, ...range, ...(q.ws ? { ws: q.ws } : {}) },
          q.groupBy,
          visible,
        );
        const undated = usage.undatedCalls(org);
        return {
          ...head,
          ...(q.ws ? { ws: q.ws } : {}),
          ...rangeView(range),
          ...(q.groupBy ? { groupBy: q.groupBy } : {}),
          ...(undated > 0 ? { undatedCalls: undated } : {}),
          ...answer,
        };
      },
    );
  };
}
