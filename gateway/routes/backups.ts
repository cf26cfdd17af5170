/**
 * On-demand backups (issue 8 item 2): `POST /api/workspaces/:id/backups` publishes
 * `backup.request {reason: 'manual'}` to the workspace's backup actor
 * (`moe.cmd.<org>.<ws>.backup.workspace`, actors/backup.machine.ts) and answers 202 with the
 * command id at once: the backup runs on the workspace's node, and its outcome is journaled as
 * `backup.completed` / `backup.skipped` / `backup.failed` on the actor's MOE_EVT subject. A request
 * while a backup runs is coalesced into one more run. Workspace admins (org admins and owners) only.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { BACKUP_ACTOR_ID } from '../../actors/index.js';
import { eventSubject } from '../../schemas/index.js';
import { newCommandId, principal, type GatewayContext } from '../context.js';
import { errorResponses, IdParams } from '../httpSchemas.js';

const RequestBackupBody = Type.Optional(
  Type.Object(
    {
      force: Type.Optional(
        Type.Boolean({ description: 'back up even when nothing changed since the last backup' }),
      ),
    },
    { additionalProperties: false },
  ),
);

export function backupRoutes(ctx: GatewayContext): FastifyPluginAsyncTypebox {
  const { access, bus } = ctx;
  return async (app) => {
    app.post(
      '/api/workspaces/:id/backups',
      {
        schema: {
          tags: ['backups'],
          params: IdParams,
          body: RequestBackupBody,
          response: errorResponses(403, 404, 503),
        },
      },
      async (req, reply) => {
        const { ws } = access.requireWorkspace(principal(req), req.params.id, 'admin');
        const addr = { org: ws.org, ws: ws.id, kind: 'backup', id: BACKUP_ACTOR_ID };
        const id = newCommandId();
        const data = { reason: 'manual', ...(req.body?.force === true ? { force: true } : {}) };
        await bus.publish(addr, 'backup.request', data, { id, session: BACKUP_ACTOR_ID });
        return reply.status(202).send({ command: id, workspace: ws.id, events: eventSubject(addr) });
      },
    );
  };
}
