/**
 * Which org a request is about, for the per-org rate limit: from the route's `:org` param, the
 * workspace / project / task / session / team / API key its `:id` (or `:wsId`) names, or an `org`
 * in the query or body. Resolved through the tenancy projection; `null` when the request names no
 * org (e.g. `GET /api/orgs`) or the caller is not a member of it — a foreign org's budget is never
 * charged, so nobody can exhaust another tenant's limit.
 */
import type { FastifyRequest } from 'fastify';
import type { Access, Principal } from './access.js';
import { parseSessionId, parseTaskId } from './crypto.js';
import type { TenancyProjection } from './projection.js';

type Bag = Record<string, unknown> | undefined;
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

function orgOfId(t: TenancyProjection, route: string, id: string): string | undefined {
  if (route.startsWith('/api/workspaces/')) return t.workspaces.get(id)?.org;
  if (route.startsWith('/api/projects/')) return t.projects.get(id)?.org;
  if (route.startsWith('/api/tasks/')) return t.projects.get(parseTaskId(id)?.project ?? '')?.org;
  if (route.startsWith('/api/sessions/')) return t.workspaces.get(parseSessionId(id)?.ws ?? '')?.org;
  if (route.startsWith('/api/teams/')) return t.teams.get(id)?.org;
  if (route.startsWith('/api/api-keys/')) return t.apiKeys.get(id)?.org;
  return undefined;
}

/** @example const org = requestOrg(req, p, ctx.tenancy, ctx.access); if (org) await limiter.hit(`org.${org}`, rule); */
export function requestOrg(
  req: FastifyRequest,
  p: Principal,
  tenancy: TenancyProjection,
  access: Access,
): string | null {
  if (p.kind === 'apikey') return p.org;
  const params = req.params as Bag;
  const route = req.routeOptions.url ?? '';
  const wsId = str(params?.wsId);
  const id = str(params?.id);
  const org =
    str(params?.org) ??
    (wsId !== undefined ? tenancy.workspaces.get(wsId)?.org : undefined) ??
    (id !== undefined ? orgOfId(tenancy, route, id) : undefined) ??
    str((req.query as Bag)?.org) ??
    str((req.body as Bag)?.org);
  return org !== undefined && access.orgRole(p, org) !== undefined ? org : null;
}
