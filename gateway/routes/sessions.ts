/**
 * Sessions (seed 000: a user's working session in a workspace, 8 h lease, renewable): open (accepts
 * an Idempotency-Key), list a workspace's sessions, read state, renew, close. Session ids embed
 * their workspace (`<ws>-s…`), so a URL alone locates the actor `moe.cmd.<org>.<ws>.session.<id>`;
 * the workspace decides the tenant. The list reads the journal's last record per session subject.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { eventSubject, findLastEvent, STREAMS } from '../../schemas/index.js';
import type { OrgRole } from '../../schemas/index.js';
import type { Principal } from '../access.js';
import { rejection, type SeqRecord } from '../bus.js';
import { newCommandId, principal, type GatewayContext } from '../context.js';
import { parseSessionId } from '../crypto.js';
import { errors } from '../errors.js';
import { creation } from '../idempotency.js';
import { CloseBody, errorResponses, IdParams, OpenSessionBody, RenewBody } from '../httpSchemas.js';

/** At most this many sessions in one listing (the most recently active first). */
export const SESSION_LIST_LIMIT = 200;

export function sessionView(id: string, ws: string, r: SeqRecord) {
  const last = findLastEvent(r.rec.events, 'session.opened', 'session.renewed');
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
        const c = creation(req, p);
        const id = `${ws.id}-${c.id('s')}`;
        const r = await bus.request(
          { org: ws.org, ws: ws.id, kind: 'session', id },
          'session.open',
          { user: p.userId, ...req.body },
          { id: c.cmd(1), session: id, replay: c.keyed },
        );
        const reason = rejection(r.rec);
        if (reason) throw errors.CONFLICT(reason);
        return reply.status(201).send(sessionView(id, ws.id, r));
      },
    );

    app.get(
      '/api/workspaces/:id/sessions',
      { schema: { tags: ['sessions'], params: IdParams, response: errorResponses(404) } },
      async (req) => {
        const { ws } = access.requireWorkspace(principal(req), req.params.id);
        const info = await bus.jsm.streams.info(STREAMS.events, {
          subjects_filter: eventSubject({ org: ws.org, ws: ws.id, kind: 'session', id: '*' }),
        });
        const ids = Object.keys(info.state.subjects ?? {})
          .map((s) => s.split('.').pop() ?? '')
          .filter((id) => parseSessionId(id)?.ws === ws.id);
        const sessions: ReturnType<typeof sessionView>[] = [];
        for (let i = 0; i < ids.length; i += 50) {
          const batch = await Promise.all(
            ids
              .slice(i, i + 50)
              .map(
                async (id) =>
                  [id, await bus.lastRecord({ org: ws.org, ws: ws.id, kind: 'session', id })] as const,
              ),
          );
          for (const [id, last] of batch) if (last) sessions.push(sessionView(id, ws.id, last));
        }
        sessions.sort((a, b) => b.seq - a.seq);
        return { sessions: sessions.slice(0, SESSION_LIST_LIMIT) };
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
