/**
 * Teams of an org: create (accepts an Idempotency-Key), list, read, delete, and add / remove members
 * (admins manage teams).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Principal } from '../access.js';
import { principal, type GatewayContext } from '../context.js';
import { requireTenant } from '../requestOrg.js';
import { errors } from '../errors.js';
import { creation } from '../idempotency.js';
import {
  CreateTeamBody,
  errorResponses,
  IdParams,
  IdUserParams,
  OrgParams,
  TeamMemberBody,
} from '../httpSchemas.js';
import type { TeamView } from '../projection.js';

export function teamRoutes(ctx: GatewayContext): FastifyPluginAsyncTypebox {
  const { tenancy, access } = ctx;
  const view = (t: TeamView) => ({ id: t.id, org: t.org, name: t.name, members: [...t.members] });
  const requireTeam = (p: Principal, id: string, min: 'viewer' | 'admin') => {
    const team = tenancy.teams.get(id);
    if (!team || !access.orgRole(p, team.org)) throw errors.NOT_FOUND(`team ${id}`);
    access.requireOrg(p, team.org, min);
    return team;
  };

  return async (app) => {
    app.get(
      '/api/orgs/:org/teams',
      { schema: { tags: ['teams'], params: OrgParams, response: errorResponses(404) } },
      async (req) => {
        const { org } = requireTenant(req, access, 'viewer');
        return { teams: [...tenancy.teams.values()].filter((t) => t.org === org).map(view) };
      },
    );

    app.post(
      '/api/orgs/:org/teams',
      {
        schema: {
          tags: ['teams'],
          params: OrgParams,
          body: CreateTeamBody,
          response: errorResponses(403, 404),
        },
      },
      async (req, reply) => {
        const p = principal(req);
        const { org } = requireTenant(req, access, 'admin');
        const c = creation(req, p);
        const id = c.id('m');
        await ctx.tenancyCommand(
          org,
          'team',
          id,
          'team.create',
          { name: req.body.name, createdBy: p.userId },
          c.cmd(1),
        );
        const team = tenancy.teams.get(id);
        if (!team) throw errors.NOT_FOUND(`team ${id} (deleted since)`);
        return reply.status(201).send(view(team));
      },
    );

    app.get(
      '/api/teams/:id',
      { schema: { tags: ['teams'], params: IdParams, response: errorResponses(404) } },
      async (req) => view(requireTeam(principal(req), req.params.id, 'viewer')),
    );

    app.delete(
      '/api/teams/:id',
      { schema: { tags: ['teams'], params: IdParams, response: errorResponses(403, 404) } },
      async (req, reply) => {
        const team = requireTeam(principal(req), req.params.id, 'admin');
        await ctx.tenancyCommand(team.org, 'team', team.id, 'team.delete', {});
        return reply.status(204).send();
      },
    );

    app.post(
      '/api/teams/:id/members',
      {
        schema: {
          tags: ['teams'],
          params: IdParams,
          body: TeamMemberBody,
          response: errorResponses(403, 404, 409),
        },
      },
      async (req, reply) => {
        const team = requireTeam(principal(req), req.params.id, 'admin');
        if (!tenancy.orgs.get(team.org)?.members.has(req.body.user))
          throw errors.NOT_FOUND(`org member ${req.body.user}`);
        await ctx.tenancyCommand(team.org, 'team', team.id, 'team.member.add', { user: req.body.user });
        return reply.status(201).send(view(team));
      },
    );

    app.delete(
      '/api/teams/:id/members/:user',
      { schema: { tags: ['teams'], params: IdUserParams, response: errorResponses(403, 404, 409) } },
      async (req, reply) => {
        const team = requireTeam(principal(req), req.params.id, 'admin');
        if (!team.members.has(req.params.user)) throw errors.NOT_FOUND(`team member ${req.params.user}`);
        await ctx.tenancyCommand(team.org, 'team', team.id, 'team.member.remove', { user: req.params.user });
        return reply.status(204).send();
      },
    );
  };
}
