/**
 * Tasks to an agent: submit (publishes `task.submit` to a new agent actor and answers 202 once the
 * turn that accepted it is journaled; accepts an Idempotency-Key), list a project's tasks, read
 * one, cancel, and approve / deny a tool call the agent is waiting on (`task.approve` /
 * `task.deny` with `{ callId?, reason? }`; the actor answers `command.rejected` → 409 when it is
 * not awaiting approval). Task ids embed workspace and project (`<ws>-<project>-t…`), so a URL
 * locates the actor and its access rule. A task with a `session` is submitted through that session
 * actor, which refuses it once the lease has ended (410 MOE_ERR_SESSION_EXPIRED). With `experts`,
 * `subtasks` or `aggregate` the task is a mixture-of-experts run: a `coordinator` actor gets the
 * same `task.submit` (CoordinatorSubmit) a NATS client would send; it is read, cancelled and
 * followed like any task (the project listing shows agents only).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { eventSubject, findEvent, findLastEvent, STREAMS } from '../../schemas/index.js';
import type { OrgRole } from '../../schemas/index.js';
import type { Principal } from '../access.js';
import { rejection, type SeqRecord } from '../bus.js';
import { newCommandId, principal, type GatewayContext } from '../context.js';
import { parseSessionId, parseTaskId } from '../crypto.js';
import { errors } from '../errors.js';
import { ApprovalBody, CancelBody, errorResponses, IdParams, SubmitTaskBody } from '../httpSchemas.js';
import { creation } from '../idempotency.js';
import { coordinatorSubmitData, taskSubmitData } from '../taskData.js';

/** The tool calls a task waits on: from the `approval.requested` event that led to the current state. */
export interface PendingApproval {
  callIds: string[];
  tools: string[];
}

export function approvalOf(events: readonly unknown[]): PendingApproval | null {
  const e = findLastEvent(events, 'approval.requested');
  return e ? { callIds: e.callIds, tools: e.tools } : null;
}

export const isAwaitingApproval = (state: string) => state.includes('awaiting_approval');

export function taskView(
  id: string,
  project: string,
  ws: string,
  r: SeqRecord,
  approval: PendingApproval | null = null,
) {
  const events = r.rec.events;
  const completed = findEvent(events, 'task.completed');
  const failed = findEvent(events, 'task.failed');
  return {
    id,
    project,
    workspace: ws,
    session: r.rec.session,
    state: r.rec.state,
    status: r.rec.status,
    turn: r.rec.turn,
    seq: r.seq,
    result: completed ? completed.result : null,
    usage: completed ? completed.usage : null,
    provider: completed ? completed.provider : null,
    failure: failed ? { code: failed.code, reason: failed.reason } : null,
    approval: isAwaitingApproval(r.rec.state) ? (approvalOf(events) ?? approval) : null,
  };
}

export function taskRoutes(ctx: GatewayContext): FastifyPluginAsyncTypebox {
  const { access, bus } = ctx;

  /** The task's address after the tenant check; unknown, foreign and malformed ids are all 404. */
  const locate = async (p: Principal, id: string, min: OrgRole) => {
    const parsed = parseTaskId(id);
    const project = parsed ? ctx.tenancy.projects.get(parsed.project) : undefined;
    if (!parsed || !project || project.workspace !== parsed.ws || !access.canSeeProject(p, project))
      throw errors.NOT_FOUND(`task ${id}`);
    // an agent, or a coordinator (a mixture-of-experts task)
    let addr = { org: project.org, ws: project.workspace, kind: 'agent', id };
    let last = await bus.lastRecord(addr);
    if (!last) {
      addr = { ...addr, kind: 'coordinator' };
      last = await bus.lastRecord(addr);
    }
    if (!last) throw errors.NOT_FOUND(`task ${id}`);
    access.requireProject(p, project.id, min);
    return { addr, project, last };
  };

  /** The pending approval of a task waiting in `awaiting_approval`, found in its earlier records. */
  const pendingApproval = async (
    addr: { org: string; ws: string; kind: string; id: string },
    last: SeqRecord,
  ) => {
    if (!isAwaitingApproval(last.rec.state)) return null;
    const own = approvalOf(last.rec.events);
    if (own) return own;
    const all = await bus.records(addr);
    return approvalOf(all.flatMap((r) => r.rec.events));
  };

  /**
   * A task in a session goes through the session actor, which checks its lease at the command's
   * `at`: refused → 410 MOE_ERR_SESSION_EXPIRED; admitted → the agent's first turn (the forwarded
   * `task.submit`). A session that was never opened is 404, a closed one 409.
   */
  const throughSession = async (
    agent: { org: string; ws: string; kind: string; id: string },
    session: string,
    submit: Record<string, unknown>,
    c: ReturnType<typeof creation>,
  ): Promise<SeqRecord> => {
    const sessionAddr = { org: agent.org, ws: agent.ws, kind: 'session', id: session };
    // a session never opened has no journal: 404 without creating its actor
    if (!(await bus.lastRecord(sessionAddr))) throw errors.NOT_FOUND(`session ${session}`);
    const s = await bus.request(
      sessionAddr,
      'session.submit',
      { task: agent.id, submit },
      { id: c.cmd(1), session, replay: c.keyed },
    );
    const refused = findEvent(s.rec.events, 'task.refused');
    if (refused) throw errors.SESSION_EXPIRED(`session ${session}: ${refused.reason}`);
    if (rejection(s.rec) && s.rec.state === 'new') throw errors.NOT_FOUND(`session ${session}`);
    if (!findEvent(s.rec.events, 'task.admitted')) return s; // the caller answers its rejection (409)
    return bus.awaitTurn(agent, (rec) => rec.cmd.type === 'task.submit');
  };

  return async (app) => {
    app.post(
      '/api/projects/:id/tasks',
      {
        schema: {
          tags: ['tasks'],
          params: IdParams,
          body: SubmitTaskBody,
          response: errorResponses(403, 404, 409, 410, 504),
        },
      },
      async (req, reply) => {
        const p = principal(req);
        const { project } = access.requireProject(p, req.params.id, 'member');
        const { agent, session, experts, subtasks, aggregate, ...rest } = req.body;
        if (session !== undefined && parseSessionId(session)?.ws !== project.workspace)
          throw errors.NOT_FOUND(`session ${session}`);
        const moe = experts !== undefined || subtasks !== undefined || aggregate !== undefined;
        if (moe && (session !== undefined || rest.maxSteps !== undefined))
          throw errors.BAD_REQUEST(
            'a mixture-of-experts task (experts, subtasks, aggregate) takes no session or maxSteps',
          );
        const config = agent === undefined ? undefined : project.agents.find((a) => a.name === agent);
        if (agent !== undefined && !config) throw errors.NOT_FOUND(`agent ${agent} in project ${project.id}`);
        const c = creation(req, p);
        const id = `${project.workspace}-${project.id}-${c.id('t')}`;
        const addr = { org: project.org, ws: project.workspace, kind: moe ? 'coordinator' : 'agent', id };
        const base = taskSubmitData(config, rest);
        // a coordinator takes the CoordinatorSubmit fields (the same as over NATS); its experts
        // inherit the project, so their tools work in the project's folder too
        const submit = moe
          ? coordinatorSubmitData(base, { experts, subtasks, aggregate }, project.id)
          : { ...base, project: project.id }; // the tools work in the project's folder
        const r = session
          ? await throughSession(addr, session, submit, c)
          : await bus.request(addr, 'task.submit', submit, { id: c.cmd(1), replay: c.keyed });
        const reason = rejection(r.rec);
        if (reason) throw errors.CONFLICT(reason);
        return reply.status(202).send(taskView(id, project.id, project.workspace, r));
      },
    );

    app.get(
      '/api/projects/:id/tasks',
      { schema: { tags: ['tasks'], params: IdParams, response: errorResponses(404) } },
      async (req) => {
        const { project } = access.requireProject(principal(req), req.params.id);
        const info = await bus.jsm.streams.info(STREAMS.events, {
          subjects_filter: eventSubject({ org: project.org, ws: project.workspace, kind: 'agent', id: '*' }),
        });
        const prefix = `${project.workspace}-${project.id}-`;
        const ids = Object.keys(info.state.subjects ?? {})
          .map((s) => s.split('.').pop() ?? '')
          .filter((id) => id.startsWith(prefix))
          .slice(0, 200);
        const tasks = [];
        for (const id of ids) {
          const last = await bus.lastRecord({ org: project.org, ws: project.workspace, kind: 'agent', id });
          if (last) tasks.push(taskView(id, project.id, project.workspace, last));
        }
        return { tasks };
      },
    );

    app.get(
      '/api/tasks/:id',
      { schema: { tags: ['tasks'], params: IdParams, response: errorResponses(404) } },
      async (req) => {
        const { addr, project, last } = await locate(principal(req), req.params.id, 'viewer');
        return taskView(
          req.params.id,
          project.id,
          project.workspace,
          last,
          await pendingApproval(addr, last),
        );
      },
    );

    app.post(
      '/api/tasks/:id/cancel',
      {
        schema: {
          tags: ['tasks'],
          params: IdParams,
          body: CancelBody,
          response: errorResponses(403, 404, 409, 504),
        },
      },
      async (req) => {
        const { addr, project, last } = await locate(principal(req), req.params.id, 'member');
        const r = await bus.request(
          addr,
          'task.cancel',
          { ...req.body },
          { id: newCommandId(), session: last.rec.session },
        );
        const reason = rejection(r.rec);
        if (reason) throw errors.CONFLICT(reason);
        return taskView(req.params.id, project.id, project.workspace, r);
      },
    );

    for (const verb of ['approve', 'deny'] as const) {
      app.post(
        `/api/tasks/:id/${verb}`,
        {
          schema: {
            tags: ['tasks'],
            params: IdParams,
            body: ApprovalBody,
            response: errorResponses(403, 404, 409, 422, 501, 504),
          },
        },
        async (req) => {
          const p = principal(req);
          const { addr, project, last } = await locate(p, req.params.id, 'member');
          const c = creation(req, p);
          const r = await bus.request(
            addr,
            `task.${verb}`,
            { ...req.body },
            {
              id: c.cmd(1),
              session: last.rec.session,
              replay: c.keyed,
            },
          );
          const reason = rejection(r.rec);
          if (reason) throw errors.CONFLICT(reason);
          return taskView(req.params.id, project.id, project.workspace, r, await pendingApproval(addr, r));
        },
      );
    }
  };
}
