/**
 * Workspaces (seed 002 `/api/workspaces`): list the ones I can see, create (org admins), read,
 * update, delete. The org actor is told about a new workspace too (`workspace.add`); when that
 * command cannot be stored the create answers 503 MOE_ERR_NATS_UNAVAILABLE with retry-after, and a
 * retry with the same Idempotency-Key finishes the job without a second workspace.
 * Creating accepts an Idempotency-Key (see ../idempotency.ts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isMoeError, TENANCY_WS } from '../../schemas/index.js';
import { principal, type GatewayContext } from '../context.js';
import { requireTenant } from '../requestOrg.js';
import { errors } from '../errors.js';
import { creation } from '../idempotency.js';
import { natsUnavailable } from '../natsLink.js';
import {
  CreateWorkspaceBody,
  errorResponses,
  IdParams,
  ListWorkspacesQuery,
  UpdateBody,
} from '../httpSchemas.js';
import type { WorkspaceView } from '../projection.js';

export function workspaceRoutes(ctx: GatewayContext): FastifyPluginAsyncTypebox {
  const { tenancy, access } = ctx;
  const view = (w: WorkspaceView) => ({
    id: w.id,
    org: w.org,
    name: w.name,
    description: w.description,
    createdBy: w.createdBy,
    createdAt: w.createdAt,
  });

  return async (app) => {
    app.get(
      '/api/workspaces',
      { schema: { tags: ['workspaces'], querystring: ListWorkspacesQuery } },
      async (req) => {
        const p = principal(req);
        const list = [...tenancy.workspaces.values()].filter(
          (w) => (req.query.org === undefined || w.org === req.query.org) && access.canSeeWorkspace(p, w),
        );
        return { workspaces: list.map(view) };
      },
    );

    app.post(
      '/api/workspaces',
      { schema: { tags: ['workspaces'], body: CreateWorkspaceBody, response: errorResponses(403, 404) } },
      async (req, reply) => {
        const p = principal(req);
        const { org } = requireTenant(req, access, 'admin');
        const c = creation(req, p);
        const id = c.id('w');
        await ctx.tenancyCommand(
          org,
          'workspace',
          id,
          'workspace.create',
          {
            name: req.body.name,
            ...(req.body.description !== undefined ? { description: req.body.description } : {}),
            createdBy: p.userId,
          },
          c.cmd(1),
        );
        await ctx.bus
          .publish(
            { org, ws: TENANCY_WS, kind: 'org', id: org },
            'workspace.add',
            { workspace: id, name: req.body.name },
            { id: c.cmd(2) },
          )
          .catch((err: unknown) => {
            req.log.warn({ err }, 'workspace.add to org actor failed');
            throw isMoeError(err) ? err : natsUnavailable('workspace.add to the org actor', err);
          });
        const created = tenancy.workspaces.get(id);
        if (!created) throw errors.NOT_FOUND(`workspace ${id} (deleted since)`);
        return reply.status(201).send(view(created));
      },
    );

    app.get(
      '/api/workspaces/:id',
      { schema: { tags: ['workspaces'], params: IdParams, response: errorResponses(404) } },
      async (req) => view(access.requireWorkspace(principal(req), req.params.id).ws),
    );

    app.put(
      '/api/workspaces/:id',
      {
        schema: {
          tags: ['workspaces'],
          params: IdParams,
          body: UpdateBody,
          response: errorResponses(403, 404),
        },
      },
      async (req) => {
        const { ws } = access.requireWorkspace(principal(req), req.params.id, 'admin');
        await ctx.tenancyCommand(ws.org, 'workspace', ws.id, 'workspace.update', { ...req.body });
        return view(tenancy.workspaces.get(ws.id)!);
      },
    );

    app.delete(
      '/api/workspaces/:id',
      { schema: { tags: ['workspaces'], params: IdParams, response: errorResponses(403, 404) } },
      async (req, reply) => {
        const { ws } = access.requireWorkspace(principal(req), req.params.id, 'admin');
        await ctx.tenancyCommand(ws.org, 'workspace', ws.id, 'workspace.delete', {});
        return reply.status(204).send();
      },
    );
  };
}
