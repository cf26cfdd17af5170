/**
 * Orgs and their members: create an org (the caller becomes its owner), list mine, read one,
 * add / change / remove members. Admins manage members; only owners grant or take the owner role.
 * Creating an org accepts an Idempotency-Key.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principal, type GatewayContext } from '../context.js';
import { requireTenant } from '../requestOrg.js';
import { userIdForEmail } from '../crypto.js';
import { errors } from '../errors.js';
import { creation } from '../idempotency.js';
import {
  AddMemberBody,
  CreateOrgBody,
  errorResponses,
  OrgParams,
  OrgUserParams,
  RoleBody,
} from '../httpSchemas.js';

export function orgRoutes(ctx: GatewayContext): FastifyPluginAsyncTypebox {
  const { tenancy, access } = ctx;
  const memberList = (org: string) =>
    [...(tenancy.orgs.get(org)?.members ?? new Map<string, string>())].map(([user, role]) => {
      const u = tenancy.users.get(user);
      return { user, role, email: u?.email ?? '', name: u?.name ?? '' };
    });

  return async (app) => {
    app.post(
      '/api/orgs',
      { schema: { tags: ['orgs'], body: CreateOrgBody, response: errorResponses(403) } },
      async (req, reply) => {
        const p = principal(req);
        if (p.kind !== 'user') throw errors.FORBIDDEN('API keys cannot create orgs');
        const c = creation(req, p);
        const org = c.id('o');
        await ctx.tenancyCommand(org, 'org', org, 'org.create', { name: req.body.name }, c.cmd(1));
        await ctx.tenancyCommand(
          org,
          'membership',
          org,
          'member.add',
          { user: p.userId, role: 'owner' },
          c.cmd(2),
        );
        return reply
          .status(201)
          .send({ id: org, name: tenancy.orgs.get(org)?.name ?? req.body.name, role: 'owner' });
      },
    );

    app.get('/api/orgs', { schema: { tags: ['orgs'] } }, async (req) => ({
      orgs: access
        .orgsOf(principal(req))
        .map(({ org, role }) => ({ id: org, name: tenancy.orgs.get(org)?.name ?? '', role })),
    }));

    app.get(
      '/api/orgs/:org',
      { schema: { tags: ['orgs'], params: OrgParams, response: errorResponses(404) } },
      async (req) => {
        const { org, role } = requireTenant(req, access, 'viewer');
        const o = tenancy.orgs.get(org)!;
        return { id: o.id, name: o.name, role, members: o.members.size };
      },
    );

    app.get(
      '/api/orgs/:org/members',
      { schema: { tags: ['orgs'], params: OrgParams, response: errorResponses(404) } },
      async (req) => {
        return { members: memberList(requireTenant(req, access, 'viewer').org) };
      },
    );

    app.post(
      '/api/orgs/:org/members',
      {
        schema: {
          tags: ['orgs'],
          params: OrgParams,
          body: AddMemberBody,
          response: errorResponses(403, 404, 409),
        },
      },
      async (req, reply) => {
        const { org, role: myRole } = requireTenant(req, access, 'admin');
        if (req.body.role === 'owner' && myRole !== 'owner')
          throw errors.FORBIDDEN('only owners grant owner');
        const user = userIdForEmail(req.body.email);
        if (!tenancy.users.has(user)) throw errors.NOT_FOUND('no registered user with that email');
        await ctx.tenancyCommand(org, 'membership', org, 'member.add', {
          user,
          role: req.body.role,
        });
        return reply.status(201).send({ user, role: req.body.role });
      },
    );

    app.put(
      '/api/orgs/:org/members/:user',
      {
        schema: {
          tags: ['orgs'],
          params: OrgUserParams,
          body: RoleBody,
          response: errorResponses(403, 404, 409),
        },
      },
      async (req) => {
        const { org, role: myRole } = requireTenant(req, access, 'admin');
        const current = tenancy.orgs.get(org)?.members.get(req.params.user);
        if (!current) throw errors.NOT_FOUND(`member ${req.params.user}`);
        if ((req.body.role === 'owner' || current === 'owner') && myRole !== 'owner')
          throw errors.FORBIDDEN('only owners change owners');
        await ctx.tenancyCommand(org, 'membership', org, 'member.role.set', {
          user: req.params.user,
          role: req.body.role,
        });
        return { user: req.params.user, role: req.body.role };
      },
    );

    app.delete(
      '/api/orgs/:org/members/:user',
      { schema: { tags: ['orgs'], params: OrgUserParams, response: errorResponses(403, 404, 409) } },
      async (req, reply) => {
        const p = principal(req);
        const self = p.kind === 'user' && p.userId === req.params.user;
        const { org, role: myRole } = requireTenant(req, access, self ? 'viewer' : 'admin');
        const current = tenancy.orgs.get(org)?.members.get(req.params.user);
        if (!current) throw errors.NOT_FOUND(`member ${req.params.user}`);
        if (current === 'owner' && myRole !== 'owner') throw errors.FORBIDDEN('only owners remove owners');
        await ctx.tenancyCommand(org, 'membership', org, 'member.remove', {
          user: req.params.user,
        });
        return reply.status(204).send();
      },
    );
  };
}
