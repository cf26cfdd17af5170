/**
 * Projects (seed 002): list / create in a workspace, read, update, delete, agent config, and
 * project access grants for users and teams. Members create projects (and are granted access to
 * them); admins delete them and manage grants. Creating accepts an Idempotency-Key.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principal, type GatewayContext } from '../context.js';
import { errors } from '../errors.js';
import { creation } from '../idempotency.js';
import {
  AgentConfigBody,
  CreateProjectBody,
  errorResponses,
  IdParams,
  IdTeamParams,
  IdUserParams,
  UpdateBody,
  WsParams,
} from '../httpSchemas.js';
import type { ProjectView } from '../projection.js';

export function projectRoutes(ctx: GatewayContext): FastifyPluginAsyncTypebox {
  const { tenancy, access } = ctx;
  const view = (p: ProjectView) => ({
    id: p.id,
    org: p.org,
    workspace: p.workspace,
    name: p.name,
    description: p.description,
    users: [...p.users],
    teams: [...p.teams],
    agents: p.agents,
    createdBy: p.createdBy,
    createdAt: p.createdAt,
  });

  return async (app) => {
    app.get(
      '/api/workspaces/:wsId/projects',
      { schema: { tags: ['projects'], params: WsParams, response: errorResponses(404) } },
      async (req) => {
        const p = principal(req);
        access.requireWorkspace(p, req.params.wsId);
        const list = [...tenancy.projects.values()].filter(
          (x) => x.workspace === req.params.wsId && access.canSeeProject(p, x),
        );
        return { projects: list.map(view) };
      },
    );

    app.post(
      '/api/workspaces/:wsId/projects',
      {
        schema: {
          tags: ['projects'],
          params: WsParams,
          body: CreateProjectBody,
          response: errorResponses(403, 404),
        },
      },
      async (req, reply) => {
        const p = principal(req);
        const { ws } = access.requireWorkspace(p, req.params.wsId, 'member');
        if (p.kind === 'apikey' && p.project !== null) throw errors.FORBIDDEN('key is scoped to one project');
        const c = creation(req, p);
        const id = c.id('p');
        await ctx.tenancyCommand(
          ws.org,
          'project',
          id,
          'project.create',
          {
            workspace: ws.id,
            name: req.body.name,
            ...(req.body.description !== undefined ? { description: req.body.description } : {}),
            createdBy: p.userId,
          },
          c.cmd(1),
        );
        await ctx.tenancyCommand(ws.org, 'project', id, 'project.grant', { user: p.userId }, c.cmd(2));
        const created = tenancy.projects.get(id);
        if (!created) throw errors.NOT_FOUND(`project ${id} (deleted since)`);
        return reply.status(201).send(view(created));
      },
    );

    app.get(
      '/api/projects/:id',
      { schema: { tags: ['projects'], params: IdParams, response: errorResponses(404) } },
      async (req) => view(access.requireProject(principal(req), req.params.id).project),
    );

    app.put(
      '/api/projects/:id',
      {
        schema: {
          tags: ['projects'],
          params: IdParams,
          body: UpdateBody,
          response: errorResponses(403, 404),
        },
      },
      async (req) => {
        const { project } = access.requireProject(principal(req), req.params.id, 'member');
        await ctx.tenancyCommand(project.org, 'project', project.id, 'project.update', { ...req.body });
        return view(tenancy.projects.get(project.id)!);
      },
    );

    app.delete(
      '/api/projects/:id',
      { schema: { tags: ['projects'], params: IdParams, response: errorResponses(403, 404) } },
      async (req, reply) => {
        const { project } = access.requireProject(principal(req), req.params.id, 'admin');
        await ctx.tenancyCommand(project.org, 'project', project.id, 'project.delete', {});
        return reply.status(204).send();
      },
    );

    app.get(
      '/api/projects/:id/agent-config',
      { schema: { tags: ['projects'], params: IdParams, response: errorResponses(404) } },
      async (req) => {
        const { project } = access.requireProject(principal(req), req.params.id);
        return { agents: project.agents, workflows: project.workflows };
      },
    );

    app.put(
      '/api/projects/:id/agent-config',
      {
        schema: {
          tags: ['projects'],
          params: IdParams,
          body: AgentConfigBody,
          response: errorResponses(403, 404),
        },
      },
      async (req) => {
        const { project } = access.requireProject(principal(req), req.params.id, 'member');
        await ctx.tenancyCommand(project.org, 'project', project.id, 'project.agents.set', {
          agents: req.body.agents,
          ...(req.body.workflows ? { workflows: req.body.workflows } : {}),
        });
        const after = tenancy.projects.get(project.id);
        return { agents: after?.agents ?? [], workflows: after?.workflows ?? {} };
      },
    );

    const grant =
      (kind: 'user' | 'team', type: 'project.grant' | 'project.revoke') =>
      async (p: ReturnType<typeof principal>, projectId: string, who: string) => {
        const { project } = access.requireProject(p, projectId, 'admin');
        const known =
          kind === 'user'
            ? tenancy.orgs.get(project.org)?.members.has(who)
            : tenancy.teams.get(who)?.org === project.org;
        if (!known) throw errors.NOT_FOUND(`${kind} ${who}`);
        await ctx.tenancyCommand(project.org, 'project', project.id, type, { [kind]: who });
        return view(tenancy.projects.get(project.id)!);
      };
    const params = { user: IdUserParams, team: IdTeamParams };
    for (const kind of ['user', 'team'] as const) {
      const path = `/api/projects/:id/${kind}s/:${kind}`;
      app.put(
        path,
        { schema: { tags: ['projects'], params: params[kind], response: errorResponses(403, 404) } },
        async (req) => {
          const q = req.params as Record<string, string>;
          return grant(kind, 'project.grant')(principal(req), q.id!, q[kind]!);
        },
      );
      app.delete(
        path,
        { schema: { tags: ['projects'], params: params[kind], response: errorResponses(403, 404) } },
        async (req) => {
          const q = req.params as Record<string, string>;
          return grant(kind, 'project.revoke')(principal(req), q.id!, q[kind]!);
        },
      );
    }
  };
}
