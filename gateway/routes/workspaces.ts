/**
 * Workspaces (seed 002 `/api/workspaces`): list the ones I can see, create (org admins), read,
 * update, delete. The org actor is told about a new workspace too (`workspace.add`); when that
 * command cannot be stored the create answers 503 MOE_ERR_NATS_UNAVAILABLE with retry-after, and a
 * retry with the same Idempotency-Key finishes the job without a second workspace.
 * Creating accepts an Idempotency-Key (see ../idempotency.ts).
 *
 * Creating also provisions (seed 000 flow 1): the workspace's backup actor is asked for a first,
 * forced backup (`backup.request {reason: 'provision'}`), which makes a workspace-node host it
 * (lease, directories, databases, consumer) and write its first backup manifest. That happens
 * after the 201, so every view carries `provisioning` (../provisioning.ts): `provisioning` until
 * the first backup completes, then `provisioned` with its id.
 *
 * Deleting (org admins and owners) records the deletion in the `moe_retired` KV bucket
 * (schemas/retirement.ts), then deletes the tenancy actor, and answers 202 `deleting`: the
 * workspace-nodes tear it down (consumer, journal subjects, local data, lease) and keep its backups.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { BACKUP_ACTOR_ID, BILLING_ACTOR_ID } from '../../actors/index.js';
import { isMoeError, retirementKey, TENANCY_WS, type WorkspaceRetirement } from '../../schemas/index.js';
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
  const { tenancy, access, provisioning } = ctx;
  const view = (w: WorkspaceView) => ({
    id: w.id,
    org: w.org,
    name: w.name,
    description: w.description,
    createdBy: w.createdBy,
    createdAt: w.createdAt,
    provisioning: provisioning.of(w.org, w.id),
  });
  const unsent = (what: string) => (err: unknown) => {
    throw isMoeError(err) ? err : natsUnavailable(what, err);
  };

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
            unsent('workspace.add to the org actor')(err);
          });
        // provisioning: the first backup; its node hosts the workspace (a retry is deduplicated)
        await ctx.bus
          .publish(
            { org, ws: id, kind: 'backup', id: BACKUP_ACTOR_ID },
            'backup.request',
            { reason: 'provision', force: true },
            { id: c.cmd(3), session: BACKUP_ACTOR_ID },
          )
          .catch(unsent('backup.request (provision) to the workspace'));
        // billing: the workspace's billing actor starts its period schedule (actors/billing.machine.ts)
        await ctx.bus
          .publish(
            { org, ws: id, kind: 'billing', id: BILLING_ACTOR_ID },
            'billing.start',
            {},
            { id: c.cmd(4), session: BILLING_ACTOR_ID },
          )
          .catch(unsent('billing.start to the workspace'));
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
      { schema: { tags: ['workspaces'], params: IdParams, response: errorResponses(403, 404, 503) } },
      async (req, reply) => {
        const p = principal(req);
        const { ws } = access.requireWorkspace(p, req.params.id, 'admin');
        // the record first: a delete that fails after it is retried and finds the workspace still listed
        const record: WorkspaceRetirement = {
          org: ws.org,
          ws: ws.id,
          deletedAt: Date.now(),
          deletedBy: p.userId,
          state: 'deleting',
        };
        await ctx.retired
          .put(retirementKey(ws.org, ws.id), JSON.stringify(record))
          .catch(unsent('the deletion record (moe_retired)'));
        await ctx.tenancyCommand(ws.org, 'workspace', ws.id, 'workspace.delete', {});
        // the teardown runs on the workspace-nodes (workspace-node/retirement.ts): accepted, not done
        return reply
          .status(202)
          .send({ id: ws.id, org: ws.org, state: 'deleting', deletedAt: record.deletedAt });
      },
    );
  };
}
