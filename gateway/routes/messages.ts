/**
 * Conversations with an agent (seed 001 `receive(agentId, message)`):
 *
 *   POST /api/sessions/:id/agents/:agentId/messages   send a follow-up message (`agent.message`)
 *   GET  /api/sessions/:id/agents/:agentId/messages   page the conversation (`cursor`, `limit`)
 *   POST|GET /api/tasks/:id/messages                  the same for a task submitted without a session
 *
 * The agent answers with the whole conversation as context (bounded by the provider's context
 * policy, docs/agents.md). POST answers 202 once the turn that accepted the message is journaled:
 * `queued` says how many messages wait ahead of it (the agent answers them in arrival order). An
 * agent that failed, was cancelled or has no task yet refuses (409). Unknown, foreign and
 * malformed ids — and an agent that is not in the session named — are all 404.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { TSchema } from '@sinclair/typebox';
import { findEvent } from '../../schemas/index.js';
import type { Principal } from '../access.js';
import { rejection, type SeqRecord } from '../bus.js';
import { principal, type GatewayContext } from '../context.js';
import { conversationPage, DEFAULT_PAGE } from '../conversationView.js';
import { parseSessionId, parseTaskId } from '../crypto.js';
import { errors } from '../errors.js';
import {
  errorResponses,
  IdParams,
  MessagesQuery,
  SendMessageBody,
  SessionAgentParams,
} from '../httpSchemas.js';
import { creation } from '../idempotency.js';

export function messageRoutes(ctx: GatewayContext): FastifyPluginAsyncTypebox {
  const { access, bus } = ctx;

  /**
   * The agent's address after the tenant check. With `session`, the agent must have been started
   * in that session (its journal says so) and the session must be in the same workspace.
   */
  const locate = async (p: Principal, agentId: string, session: string | null, write: boolean) => {
    const parsed = parseTaskId(agentId);
    const project = parsed ? ctx.tenancy.projects.get(parsed.project) : undefined;
    const inSession = session === null || parseSessionId(session)?.ws === parsed?.ws;
    if (
      !parsed ||
      !project ||
      project.workspace !== parsed.ws ||
      !inSession ||
      !access.canSeeProject(p, project)
    )
      throw errors.NOT_FOUND(`agent ${agentId}`);
    const addr = { org: project.org, ws: project.workspace, kind: 'agent', id: agentId };
    const last = await bus.lastRecord(addr);
    if (!last || (session !== null && last.rec.session !== session))
      throw errors.NOT_FOUND(`agent ${agentId}`);
    access.requireProject(p, project.id, write ? 'member' : 'viewer');
    return { addr, project, last };
  };

  /** A session that ended takes no more messages: expired → 410, closed → 409. */
  const requireOpenSession = async (org: string, session: string) => {
    const ws = parseSessionId(session)?.ws ?? '';
    const s = await bus.lastRecord({ org, ws, kind: 'session', id: session });
    if (s?.rec.state === 'expired') throw errors.SESSION_EXPIRED(`session ${session} has expired`);
    if (s?.rec.state === 'closed') throw errors.CONFLICT(`session ${session} is closed`);
  };

  const view = (agentId: string, r: SeqRecord) => {
    const accepted = findEvent(r.rec.events, 'message.accepted');
    return {
      agent: agentId,
      session: r.rec.session,
      state: r.rec.state,
      status: r.rec.status,
      turn: r.rec.turn,
      seq: r.seq,
      queued: accepted?.queued ?? 0,
      conversationTurn: accepted?.conversationTurn ?? null,
    };
  };

  const send = async (
    p: Principal,
    agentId: string,
    session: string | null,
    body: { text: string; script?: unknown[] },
    c: ReturnType<typeof creation>,
  ) => {
    const { addr, project, last } = await locate(p, agentId, session, true);
    if (session !== null) await requireOpenSession(project.org, session);
    const r = await bus.request(
      addr,
      'agent.message',
      { ...body },
      {
        id: c.cmd(1),
        session: last.rec.session,
        replay: c.keyed,
      },
    );
    const reason = rejection(r.rec);
    if (reason) throw errors.CONFLICT(reason);
    return view(agentId, r);
  };

  const page = async (
    p: Principal,
    agentId: string,
    session: string | null,
    q: { cursor?: number; limit?: number },
  ) => {
    const { addr, last } = await locate(p, agentId, session, false);
    const records = await bus.records(addr);
    return {
      agent: agentId,
      session: last.rec.session,
      state: last.rec.state,
      ...conversationPage(records, q.cursor ?? 0, q.limit ?? DEFAULT_PAGE),
    };
  };

  const postSchema = <P extends TSchema>(params: P) => ({
    tags: ['messages'],
    params,
    body: SendMessageBody,
    response: errorResponses(403, 404, 409, 410, 504),
  });
  const getSchema = <P extends TSchema>(params: P) => ({
    tags: ['messages'],
    params,
    querystring: MessagesQuery,
    response: errorResponses(404),
  });

  return async (app) => {
    app.post(
      '/api/sessions/:id/agents/:agentId/messages',
      { schema: postSchema(SessionAgentParams) },
      async (req, reply) => {
        const p = principal(req);
        const out = await send(p, req.params.agentId, req.params.id, req.body, creation(req, p));
        return reply.status(202).send(out);
      },
    );
    app.get(
      '/api/sessions/:id/agents/:agentId/messages',
      { schema: getSchema(SessionAgentParams) },
      async (req) => page(principal(req), req.params.agentId, req.params.id, req.query),
    );
    app.post('/api/tasks/:id/messages', { schema: postSchema(IdParams) }, async (req, reply) => {
      const p = principal(req);
      const out = await send(p, req.params.id, null, req.body, creation(req, p));
      return reply.status(202).send(out);
    });
    app.get('/api/tasks/:id/messages', { schema: getSchema(IdParams) }, async (req) =>
      page(principal(req), req.params.id, null, req.query),
    );
  };
}
