/**
 * Sessions (seed 000: a user's working session in a workspace, 8 h lease, renewable): open, read
 * state, renew, close. Session ids embed their workspace (`<ws>-s…`), so a URL alone locates the
 * actor `moe.cmd.<org>.<ws>.session.<id>`; the workspace decides the tenant.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { OrgRole } from '../../schemas/tenancy.js';
import type { Principal } from '../access.js';
import { rejection, type SeqRecord } from '../bus.js';
import { newCommandId, principal, type GatewayContext } from '../context.js';
import { newSessionId, parseSessionId } from '../crypto.js';
import { errors } from '../errors.js';
import { CloseBody, errorResponses, IdParams, OpenSessionBody, RenewBody } from '../httpSchemas.js';

export function sessionView(id: string, ws: string, r: SeqRecord) {
  const last = [...r.rec.events]
    .reverse()
    .find((e) => typeof (e as { expiresAt?: unknown }).expiresAt === 'number') as
    { expiresAt: number } | undefined;
  return {
    id,
    workspace: ws,
    state: r.rec.state,
    status: r.rec.status,
    turn: r.rec.turn,
    seq: r.seq,
    expiresAt: last?.expiresAt ?? null,
  };
}

export function sessionRoutes(ctx: GatewayContext): FastifyPluginAsyncTypebox {
  const { access, bus } = ctx;

  /** The session's address after the tenant check: unknown, foreign and malformed ids are all 404. */
  const locate = async (p: Principal, id: string, min: OrgRole) => {
    const parsed = parseSessionId(id);
    const ws = parsed ? ctx.tenancy.workspaces.get(parsed.ws) : undefined;
    if (!parsed || !ws || !access.canSeeWorkspace(p, ws)) throw errors.NOT_FOUND(`session ${id}`);
    const addr = { org: ws.org, ws: ws.id, kind: 'session', id };
    const last = await bus.lastRecord(addr);
    if (!last) throw errors.NOT_FOUND(`session ${id}`);
    access.requireWorkspace(p, ws.id, min);
    return { addr, ws, last };
  };

  const command = async (p: Principal, id: string, type: string, data: Record<string, unknown>) => {
    const { addr, ws } = await locate(p, id, 'member');
    const r = await bus.request(addr, type, data, { id: newCommandId(), session: id });
    const reason = rejection(r.rec);
    if (reason) throw errors.CONFLICT(reason);
    return sessionView(id, ws.id, r);
  };

  return async (app) => {
    app.post(
      '/api/workspaces/:id/sessions',
      {
        schema: {
          tags: ['sessions'],
          params: IdParams,
          body: OpenSessionBody,
          response: errorResponses(403, 404, 504),
        },
      },
      async (req, reply) => {
        const p = principal(req);
        const { ws } = access.requireWorkspace(p, req.params.id, 'member');
        const id = newSessionId(ws.id);
        const r = await bus.request(
          { org: ws.org, ws: ws.id, kind: 'session', id },
          'session.open',
          { user: p.userId, ...req.body },
          { id: newCommandId(), session: id },
        );
        const reason = rejection(r.rec);
        if (reason) throw errors.CONFLICT(reason);
        return reply.status(201).send(sessionView(id, ws.id, r));
      },
    );

    app.get(
      '/api/sessions/:id',
      { schema: { tags: ['sessions'], params: IdParams, response: errorResponses(404) } },
      async (req) => {
        const { ws, last } = await locate(principal(req), req.params.id, 'viewer');
        return sessionView(req.params.id, ws.id, last);
      },
    );

    app.post(
      '/api/sessions/:id/renew',
      {
        schema: {
          tags: ['sessions'],
          params: IdParams,
          body: RenewBody,
          response: errorResponses(403, 404, 409, 504),
        },
      },
      async (req) => command(principal(req), req.params.id, 'session.renew', { ...req.body }),
    );

    app.post(
      '/api/sessions/:id/close',
      {
        schema: {
          tags: ['sessions'],
          params: IdParams,
          body: CloseBody,
          response: errorResponses(403, 404, 409, 504),
        },
      },
      async (req) => command(principal(req), req.params.id, 'session.close', { ...req.body }),
    );
  };
}
