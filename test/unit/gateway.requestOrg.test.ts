/**
 * The org a request names is worked out once (requestOrg.ts): from `:org`, from the entity its
 * `:id` / `:wsId` names, or from an `org` in the body (before the query). The rate limit charges
 * it, and routes take it from `req.tenant` with the role checks of `Access.requireOrg`.
 */
import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { Access, type Principal } from '../../gateway/access.js';
import type { TenancyProjection, WorkspaceView } from '../../gateway/projection.js';
import { chargedOrg, requestTenant, requireTenant } from '../../gateway/requestOrg.js';
import { MoeError } from '../../schemas/index.js';

const org = (id: string, members: [string, 'viewer' | 'admin'][]) => ({
  id,
  name: id,
  createdAt: 0,
  members: new Map(members),
});
const ws = (id: string, o: string) => ({ id, org: o }) as WorkspaceView;
const tenancy = {
  orgs: new Map([
    ['oa', org('oa', [['u1', 'admin']])],
    ['ob', org('ob', [['u1', 'viewer']])],
    ['oc', org('oc', [])],
  ]),
  workspaces: new Map([
    ['wa', ws('wa', 'oa')],
    ['wc', ws('wc', 'oc')],
  ]),
  projects: new Map(),
  teams: new Map(),
  apiKeys: new Map(),
} as unknown as TenancyProjection;
const access = new Access(tenancy);
const user: Principal = { kind: 'user', userId: 'u1', jti: 'j', exp: 0 };

function request(url: string, parts: { params?: object; query?: object; body?: object }, p = user) {
  const req = {
    routeOptions: { url },
    params: parts.params ?? {},
    query: parts.query ?? {},
    body: parts.body,
    principal: p,
    tenant: null,
  } as unknown as FastifyRequest;
  req.tenant = requestTenant(req, p, tenancy, access);
  return req;
}

describe('the org a request names', () => {
  it('comes from :org, from the workspace an :id names, or from the body before the query', () => {
    expect(request('/api/orgs/:org/teams', { params: { org: 'ob' } }).tenant).toEqual({
      org: 'ob',
      role: 'viewer',
    });
    expect(request('/api/workspaces/:id', { params: { id: 'wa' } }).tenant?.org).toBe('oa');
    expect(request('/api/workspaces', { body: { org: 'oa' }, query: { org: 'ob' } }).tenant?.org).toBe('oa');
    expect(request('/api/orgs', {}).tenant).toBeNull();
  });

  it('is charged to the rate limit only when the caller is a member; an API key charges its own org', () => {
    const member = request('/api/workspaces/:id', { params: { id: 'wa' } });
    expect(chargedOrg(user, member.tenant)).toBe('oa');
    const foreign = request('/api/workspaces/:id', { params: { id: 'wc' } });
    expect(foreign.tenant).toEqual({ org: 'oc', role: undefined });
    expect(chargedOrg(user, foreign.tenant)).toBeNull();
    const key: Principal = {
      kind: 'apikey',
      keyId: 'k',
      userId: 'u1',
      org: 'oa',
      role: 'admin',
      project: null,
    };
    expect(chargedOrg(key, request('/api/orgs/:org', { params: { org: 'ob' } }, key).tenant)).toBe('oa');
  });

  it('routes take it with the role checks of requireOrg: 404 for a non-member, 403 below the role', () => {
    expect(requireTenant(request('/api/orgs/:org', { params: { org: 'oa' } }), access, 'admin')).toEqual({
      org: 'oa',
      role: 'admin',
    });
    const codeOf = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as MoeError).code;
      }
    };
    const viewer = request('/api/orgs/:org', { params: { org: 'ob' } });
    expect(codeOf(() => requireTenant(viewer, access, 'admin'))).toBe('MOE_ERR_FORBIDDEN');
    const stranger = request('/api/orgs/:org', { params: { org: 'oc' } });
    expect(codeOf(() => requireTenant(stranger, access, 'viewer'))).toBe('MOE_ERR_NOT_FOUND');
  });
});
