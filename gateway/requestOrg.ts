/**
 * Which org a request is about, resolved once per request before its handler runs (server.ts puts
 * it on `req.tenant`): from the route's `:org` param, the workspace / project / task / session /
 * team / API key its `:id` (or `:wsId`) names, or an `org` in the body or query, through the
 * tenancy projection, with the caller's role in it. The per-org rate limit charges that org (only
 * when the caller is a member: a foreign org's budget is never charged, so nobody can exhaust
 * another tenant's limit), and routes that act on the org the request names take it from here
 * ({@link requireTenant}) instead of working it out again.
 */
import type { FastifyRequest } from 'fastify';
import type { OrgRole } from '../schemas/index.js';
import type { Access, Principal } from './access.js';
import { parseSessionId, parseTaskId } from './crypto.js';
import { errors } from './errors.js';
import type { TenancyProjection } from './projection.js';

export interface Tenant {
  /** the org the request names */
  readonly org: string;
  /** the caller's role in it; undefined when it is not a member (or an API key of another org) */
  readonly role: OrgRole | undefined;
}

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

/**
 * The org `req` names and the caller's role in it; null when it names none (e.g. `GET /api/orgs`).
 *
 * @example req.tenant = requestTenant(req, p, ctx.tenancy, ctx.access);
 */
export function requestTenant(
  req: FastifyRequest,
  p: Principal,
  tenancy: TenancyProjection,
  access: Access,
): Tenant | null {
  const params = req.params as Bag;
  const route = req.routeOptions.url ?? '';
  const wsId = str(params?.wsId);
  const id = str(params?.id);
  const org =
    str(params?.org) ??
    (wsId !== undefined ? tenancy.workspaces.get(wsId)?.org : undefined) ??
    (id !== undefined ? orgOfId(tenancy, route, id) : undefined) ??
    str((req.body as Bag)?.org) ??
    str((req.query as Bag)?.org);
  return org === undefined ? null : { org, role: access.orgRole(p, org) };
}

/**
 * The org whose rate limit a request is charged to: an API key's own org, else the org the
 * request names when the caller is a member of it; null when none.
 */
export function chargedOrg(p: Principal, tenant: Tenant | null): string | null {
  if (p.kind === 'apikey') return p.org;
  return tenant?.role !== undefined ? tenant.org : null;
}

/**
 * For routes about the org their request names (`/api/orgs/:org/…`, an `org` in the body or
 * query): that org and the caller's role, as {@link Access.requireOrg} checks it (404 when not a
 * member, 403 below `min`).
 *
 * @example const { org, role } = requireTenant(req, access, 'admin');
 */
export function requireTenant(
  req: FastifyRequest,
  access: Access,
  min: OrgRole,
): { org: string; role: OrgRole } {
  const t = req.tenant;
  if (!t) throw errors.NOT_FOUND('org');
  const p = req.principal;
  if (!p) throw errors.UNAUTHENTICATED();
  return { org: t.org, role: access.requireOrg(p, t.org, min, t.role) };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** the org this request names, resolved once before the handler (see requestOrg.ts) */
    tenant: Tenant | null;
  }
}
