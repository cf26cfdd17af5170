/**
 * Cards (seed 002): create on a board lane, read, update, delete, move, list a card's agent runs,
 * run one agent on it, and decide an `approved` exit.
 *
 *   POST   /api/projects/:id/cards            → board `card.add`, then the card's first turn (201)
 *   GET    /api/cards/:id                     the card folded from its journal
 *   PUT    /api/cards/:id                     → card `card.update`
 *   DELETE /api/cards/:id                     → board `card.remove` (the board deletes the card actor)
 *   PUT    /api/cards/:id/move                → board `card.move`, then the card's turn that applied it
 *   GET    /api/cards/:id/runs                the card's agent runs (run.started / run.finished)
 *   POST   /api/cards/:id/agents/:agent/run   → card `agent.run` (202)
 *   POST   /api/cards/:id/approve | /deny     → `task.approve` / `task.deny` of the card's approval
 *                                               gate task (an agent actor, exitCriteria `approved`);
 *                                               a card without one: `card.approve` / `card.deny`
 *
 * Views come from the board projection (boardReads.ts), never from a journal replay; a route that
 * sent a command answers once the projection applied the turn it caused.
 *
 * Placements go through the board actor, the only writer of lanes and positions: a refusal there
 * (`board.move.refused`) is the HTTP answer (409 MOE_ERR_WIP_LIMIT, 422 MOE_ERR_LANE_UNKNOWN).
 * Commands that may start a workflow carry the project's lane workflows and agents (CardConfig),
 * read from the tenancy projection here because a pure machine cannot read them.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { GATE_CALL } from '../../actors/index.js';
import { findEvent, type CardConfig, type JournalRecord, type OrgRole } from '../../schemas/index.js';
import type { Principal } from '../access.js';
import { rejection, type SeqRecord } from '../bus.js';
import {
  CardAgentParams,
  CreateCardBody,
  DecisionBody,
  MoveCardBody,
  UpdateCardBody,
} from '../boardSchemas.js';
import { cardAfterPlacement, knownCard, viewAfter } from '../boardReads.js';
import { newCommandId, principal, type GatewayContext } from '../context.js';
import { parseCardId } from '../crypto.js';
import { errors } from '../errors.js';
import { errorResponses, IdParams } from '../httpSchemas.js';
import { creation } from '../idempotency.js';
import type { ProjectView } from '../projection.js';
import { locateBoard } from './boards.js';

const configOf = (project: ProjectView): CardConfig => ({
  workflows: project.workflows,
  agents: project.agents,
});

/** The HTTP error of a board refusal, or null when the board placed the card. */
function refusalOf(rec: JournalRecord): Error | null {
  const refused = findEvent(rec.events, 'board.move.refused');
  if (refused) {
    if (refused.code === errors.WIP_LIMIT.spec.code) return errors.WIP_LIMIT(refused.reason);
    if (refused.code === errors.LANE_UNKNOWN.spec.code) return errors.LANE_UNKNOWN(refused.reason);
    if (refused.code === errors.CARD_EXISTS.spec.code) return errors.CARD_EXISTS(refused.reason);
    return errors.NOT_FOUND(refused.reason);
  }
  const reason = rejection(rec);
  return reason ? errors.CONFLICT(reason) : null;
}

/** The `seq` of the placement the board sent the card in this turn. */
function placementSeq(rec: JournalRecord): number | null {
  for (const fx of rec.effects ?? []) {
    const e = fx as { kind?: string; type?: string; data?: { seq?: number } };
    if (e.kind === 'actor.send' && e.type === 'card.placed' && typeof e.data?.seq === 'number')
      return e.data.seq;
  }
  return null;
}

export function cardRoutes(ctx: GatewayContext): FastifyPluginAsyncTypebox {
  const { access, bus } = ctx;

  /** The card's address and view after the tenant check; unknown, foreign and malformed ids are 404. */
  const locate = async (p: Principal, id: string, min: OrgRole) => {
    const parsed = parseCardId(id);
    const project = parsed ? ctx.tenancy.projects.get(parsed.project) : undefined;
    if (!parsed || !project || project.workspace !== parsed.ws || !access.canSeeProject(p, project))
      throw errors.NOT_FOUND(`card ${id}`);
    const addr = { org: project.org, ws: project.workspace, kind: 'card', id };
    const view = await knownCard(ctx, addr);
    if (!view || view.deleted) throw errors.NOT_FOUND(`card ${id}`);
    access.requireProject(p, project.id, min);
    return { addr, project, view };
  };

  const send = async (
    addr: { org: string; ws: string; kind: string; id: string },
    type: string,
    data: Record<string, unknown>,
  ): Promise<SeqRecord> => {
    const r = await bus.request(addr, type, data, { id: newCommandId() });
    const reason = rejection(r.rec);
    if (reason) throw errors.CONFLICT(reason);
    return r;
  };

  return async (app) => {
    app.post(
      '/api/projects/:id/cards',
      {
        schema: {
          tags: ['cards'],
          params: IdParams,
          body: CreateCardBody,
          response: errorResponses(403, 404, 409, 422, 504),
        },
      },
      async (req, reply) => {
        const p = principal(req);
        const { project } = access.requireProject(p, req.params.id, 'member');
        const { board, ...card } = req.body;
        const b = await locateBoard(ctx, p, board, 'member');
        if (b.project.id !== project.id) throw errors.NOT_FOUND(`board ${board}`);
        const c = creation(req, p);
        const id = `${project.workspace}-${project.id}-${c.id('c')}`;
        const r = await bus.request(
          b.addr,
          'card.add',
          { card: id, ...card, config: configOf(project) },
          { id: c.cmd(1), replay: c.keyed },
        );
        const refused = refusalOf(r.rec);
        if (refused) throw refused;
        const seq = placementSeq(r.rec) ?? 1;
        return reply.status(201).send(await cardAfterPlacement(ctx, id, seq, { id: b.addr.id, seq: r.seq }));
      },
    );

    app.get(
      '/api/cards/:id',
      { schema: { tags: ['cards'], params: IdParams, response: errorResponses(404) } },
      async (req) => (await locate(principal(req), req.params.id, 'viewer')).view,
    );

    app.put(
      '/api/cards/:id',
      {
        schema: {
          tags: ['cards'],
          params: IdParams,
          body: UpdateCardBody,
          response: errorResponses(403, 404, 409, 504),
        },
      },
      async (req) => {
        const { addr } = await locate(principal(req), req.params.id, 'member');
        const r = await send(addr, 'card.update', { ...req.body });
        return viewAfter(ctx, 'card', addr.id, r.seq);
      },
    );

    app.delete(
      '/api/cards/:id',
      { schema: { tags: ['cards'], params: IdParams, response: errorResponses(403, 404, 504) } },
      async (req, reply) => {
        const p = principal(req);
        const { view } = await locate(p, req.params.id, 'member');
        const b = await locateBoard(ctx, p, view.board, 'member');
        const r = await bus.request(b.addr, 'card.remove', { card: view.id }, { id: newCommandId() });
        const refused = refusalOf(r.rec);
        if (refused) throw refused;
        await viewAfter(ctx, 'board', b.addr.id, r.seq);
        return reply.status(204).send();
      },
    );

    app.put(
      '/api/cards/:id/move',
      {
        schema: {
          tags: ['cards'],
          params: IdParams,
          body: MoveCardBody,
          response: errorResponses(403, 404, 409, 422, 504),
        },
      },
      async (req) => {
        const p = principal(req);
        const { project, view } = await locate(p, req.params.id, 'member');
        const b = await locateBoard(ctx, p, view.board, 'member');
        const r = await bus.request(
          b.addr,
          'card.move',
          { card: view.id, ...req.body, config: configOf(project) },
          { id: newCommandId() },
        );
        const refused = refusalOf(r.rec);
        if (refused) throw refused;
        const seq = placementSeq(r.rec);
        if (seq === null) throw errors.CONFLICT(`card ${view.id} was not moved`);
        return cardAfterPlacement(ctx, view.id, seq, { id: b.addr.id, seq: r.seq });
      },
    );

    app.get(
      '/api/cards/:id/runs',
      { schema: { tags: ['cards'], params: IdParams, response: errorResponses(404) } },
      async (req) => {
        const { view } = await locate(principal(req), req.params.id, 'viewer');
        return { card: view.id, runs: view.runs };
      },
    );

    app.post(
      '/api/cards/:id/agents/:agent/run',
      {
        schema: {
          tags: ['cards'],
          params: CardAgentParams,
          response: errorResponses(403, 404, 409, 504),
        },
      },
      async (req, reply) => {
        const { addr, project } = await locate(principal(req), req.params.id, 'member');
        const agent = req.params.agent;
        const named = Object.values(project.workflows).some(
          (w) => w.autoTrigger === agent || w.sequence?.includes(agent) || w.manualTrigger?.includes(agent),
        );
        if (!named && !project.agents.some((a) => a.name === agent))
          throw errors.NOT_FOUND(`agent ${agent} in project ${project.id}`);
        const r = await send(addr, 'agent.run', { agent, config: configOf(project) });
        return reply.status(202).send(await viewAfter(ctx, 'card', addr.id, r.seq));
      },
    );

    for (const verb of ['approve', 'deny'] as const) {
      app.post(
        `/api/cards/:id/${verb}`,
        {
          schema: {
            tags: ['cards'],
            params: IdParams,
            body: DecisionBody,
            response: errorResponses(403, 404, 409, 504),
          },
        },
        async (req) => {
          const { addr, view } = await locate(principal(req), req.params.id, 'member');
          if (!view.approvalTask) {
            // a card journaled before approval gates (or not waiting): the card decides itself
            const r = await send(addr, `card.${verb}`, { ...req.body });
            return viewAfter(ctx, 'card', addr.id, r.seq);
          }
          // forwarded to the gate task, the approval every task waiting for a person goes through
          const gate = { org: addr.org, ws: addr.ws, kind: 'agent', id: view.approvalTask };
          // the card asked for the gate in the turn it started waiting: the gate may not have opened yet
          await bus.awaitTurn(gate, (rec) => rec.cmd.type === 'task.submit');
          await send(gate, `task.${verb}`, { callId: GATE_CALL, ...req.body });
          await ctx.boards.until(
            'card',
            addr.id,
            () => ctx.boards.card(addr.id)?.approvalTask !== view.approvalTask,
            ctx.commandTimeoutMs,
          );
          return structuredClone(ctx.boards.card(addr.id));
        },
      );
    }
  };
}
