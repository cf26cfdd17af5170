/**
 * Boards of a project (seed 002): `GET/POST /api/projects/:id/boards`, `GET/PUT/DELETE /api/boards/:id`.
 * A board is a `board` actor (`<ws>-<project>-b…`); its lanes and card order are read from the board
 * projection (boardProjection.ts, folded from the journal). Unknown, foreign and malformed board ids
 * are all 404.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { OrgRole } from '../../schemas/index.js';
import type { Principal } from '../access.js';
import { findEvent } from '../../schemas/index.js';
import { rejection } from '../bus.js';
import { CreateBoardBody, UpdateBoardBody } from '../boardSchemas.js';
import { knownBoard, viewAfter } from '../boardReads.js';
import { newCommandId, principal, type GatewayContext } from '../context.js';
import { parseBoardId } from '../crypto.js';
import { errors } from '../errors.js';
import { errorResponses, IdParams } from '../httpSchemas.js';
import { creation } from '../idempotency.js';

/** The board's actor address after the tenant check (404 for anything the caller may not see). */
export async function locateBoard(ctx: GatewayContext, p: Principal, id: string, min: OrgRole) {
  const parsed = parseBoardId(id);
  const project = parsed ? ctx.tenancy.projects.get(parsed.project) : undefined;
  if (!parsed || !project || project.workspace !== parsed.ws || !ctx.access.canSeeProject(p, project))
    throw errors.NOT_FOUND(`board ${id}`);
  const addr = { org: project.org, ws: project.workspace, kind: 'board', id };
  const view = await knownBoard(ctx, addr);
  if (!view) throw errors.NOT_FOUND(`board ${id}`);
  ctx.access.requireProject(p, project.id, min);
  return { addr, project, view };
}

export function boardRoutes(ctx: GatewayContext): FastifyPluginAsyncTypebox {
  const { access, bus } = ctx;
  return async (app) => {
    app.post(
      '/api/projects/:id/boards',
      {
        schema: {
          tags: ['boards'],
          params: IdParams,
          body: CreateBoardBody,
          response: errorResponses(403, 404, 409, 504),
        },
      },
      async (req, reply) => {
        const p = principal(req);
        const { project } = access.requireProject(p, req.params.id, 'member');
        if (new Set(req.body.lanes.map((l) => l.id)).size !== req.body.lanes.length)
          throw errors.VALIDATION('lane ids must be unique');
        const c = creation(req, p);
        const id = `${project.workspace}-${project.id}-${c.id('b')}`;
        const addr = { org: project.org, ws: project.workspace, kind: 'board', id };
        const r = await bus.request(
          addr,
          'board.create',
          { board: id, project: project.id, ...req.body },
          { id: c.cmd(1), replay: c.keyed },
        );
        const reason = rejection(r.rec);
        if (reason) throw errors.CONFLICT(reason);
        return reply.status(201).send(await viewAfter(ctx, 'board', id, r.seq));
      },
    );

    app.get(
      '/api/projects/:id/boards',
      { schema: { tags: ['boards'], params: IdParams, response: errorResponses(404) } },
      async (req) => {
        const { project } = access.requireProject(principal(req), req.params.id);
        const boards = ctx.boards
          .boardsOf(project.id)
          .filter((b) => b.workspace === project.workspace)
          .slice(0, 200)
          .map((b) => structuredClone(b));
        return { boards };
      },
    );

    app.get(
      '/api/boards/:id',
      { schema: { tags: ['boards'], params: IdParams, response: errorResponses(404) } },
      async (req) => (await locateBoard(ctx, principal(req), req.params.id, 'viewer')).view,
    );

    app.put(
      '/api/boards/:id',
      {
        schema: {
          tags: ['boards'],
          params: IdParams,
          body: UpdateBoardBody,
          response: errorResponses(403, 404, 409, 504),
        },
      },
      async (req) => {
        const { addr } = await locateBoard(ctx, principal(req), req.params.id, 'member');
        const { lanes } = req.body;
        if (lanes && new Set(lanes.map((l) => l.id)).size !== lanes.length)
          throw errors.VALIDATION('lane ids must be unique');
        const r = await bus.request(addr, 'board.update', { ...req.body }, { id: newCommandId() });
        const refused = findEvent(r.rec.events, 'board.update.refused');
        if (refused) throw errors.LANE_NOT_EMPTY(refused.reason);
        const reason = rejection(r.rec);
        if (reason) throw errors.CONFLICT(reason);
        return viewAfter(ctx, 'board', addr.id, r.seq);
      },
    );

    app.delete(
      '/api/boards/:id',
      { schema: { tags: ['boards'], params: IdParams, response: errorResponses(403, 404, 409, 504) } },
      async (req, reply) => {
        const { addr } = await locateBoard(ctx, principal(req), req.params.id, 'member');
        const r = await bus.request(addr, 'board.delete', {}, { id: newCommandId() });
        const reason = rejection(r.rec);
        if (reason) throw errors.CONFLICT(reason);
        if (!(await ctx.boards.reached('board', addr.id, r.seq, ctx.commandTimeoutMs)))
          throw errors.TIMEOUT(`the board view of ${addr.id} at ${r.seq}`);
        return reply.status(204).send();
      },
    );
  };
}
