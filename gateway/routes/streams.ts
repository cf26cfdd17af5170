/**
 * Live streams: WebSocket `/api/workspaces/:id/events` (every actor of a workspace),
 * `/api/sessions/:id/stream` and `/api/tasks/:id/stream` (an agent run's log), each also served as
 * Server-Sent Events on the same path without the upgrade. Each message is one turn as a
 * {@link StreamEvent} with its entry's stream `seq` and a `cursor`; reconnect with
 * `?since=<cursor>` (SSE: `Last-Event-ID`) to resume with no gap (see gateway/streams.ts). Filters: `level`, `source` (actor kinds, comma-separated).
 * Without `since` a workspace or session stream starts at new records (`from=now`; `from=start`
 * replays at most the last REPLAY_WINDOW journal entries), a task stream at the run's first turn
 * (one actor: its log is bounded by the run's steps). SSE frames are default `message` events, so
 * `EventSource.onmessage` receives them.
 * Tenant checks and the per-principal stream cap run in the HTTP phase, before any upgrade:
 * foreign ids are 404, one stream too many is 429 `MOE_ERR_TOO_MANY_STREAMS`, a resume point on a
 * task's journal below what MOE_EVT still holds is 410 `MOE_ERR_CURSOR_PURGED`. On a workspace or
 * session stream that condition is met while streaming: it ends the stream with an error frame
 * (WebSocket: a `{ error }` message, then close code 4410; SSE: an `event: error` frame) naming the
 * sequence to resume from.
 *
 * With `deltas=1` a stream also carries the live token deltas of the agents it shows (core NATS
 * `moe.live.…`, see gateway/liveDeltas.ts): WebSocket messages `{ "type": "delta", actor, effectId,
 * step, attempt, n, text }` (journal events have no `type`), SSE frames `event: delta` without an
 * `id:` (so `Last-Event-ID` stays the last journal cursor). Deltas are previews, at-most-once and
 * never replayed: the `agent.replied` event of the same step carries the whole text.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Static } from '@sinclair/typebox';
import type { WebSocket } from 'ws';
import { eventSubject, liveSubject, workspaceEventFilter, workspaceLiveFilter } from '../../schemas/index.js';
import type { Principal } from '../access.js';
import { principal, type GatewayContext } from '../context.js';
import { parseSessionId, parseTaskId } from '../crypto.js';
import { errors } from '../errors.js';
import { errorResponses, flagOn, IdParams, StreamQuery } from '../httpSchemas.js';
import { subscribeDeltas, type DeltaEvent, type DeltaSubscription } from '../liveDeltas.js';
import {
  assertCursorHeld,
  deltaMatches,
  openEventStream,
  type StreamEvent,
  type StreamFilter,
  type StreamStart,
} from '../streams.js';
import { isMoeError, type MoeError } from '../../schemas/index.js';

type Query = Static<typeof StreamQuery>;
interface Target {
  subject: string;
  filter: StreamFilter;
  /** where this stream's live deltas are and which of them it shows (`deltas=1`) */
  live: { subject: string; allow: (d: DeltaEvent) => boolean; onTurn?: (ev: StreamEvent) => void };
}

function filterOf(q: Query): StreamFilter {
  return {
    ...(q.level ? { level: q.level } : {}),
    ...(q.source ? { sources: q.source.split(',').filter(Boolean) } : {}),
  };
}

type TargetKind = 'workspace' | 'session' | 'task';

/** Where a stream starts: a resume point, else `from`, else new records (a task: its whole run). */
function startOf(req: FastifyRequest, q: Query, kind: TargetKind): StreamStart {
  const lastId = req.headers['last-event-id'];
  if (typeof lastId === 'string' && /^\d{1,15}$/.test(lastId)) return { since: Number(lastId) };
  if (q.since !== undefined) return { since: q.since };
  const from = q.from ?? (kind === 'task' ? 'start' : 'now');
  return from === 'now' ? { from } : { from, windowed: kind !== 'task' };
}

/** The slot each stream request holds from its HTTP phase until the stream ends. */
const slotOf = new WeakMap<FastifyRequest, () => void>();
const releaseSlot = (req: FastifyRequest) => slotOf.get(req)?.();

/** WebSocket close code of a stream ended for a purged resume point (4000–4999: the application's). */
export const STREAM_ERROR_CLOSE = 4410;

/** The frame that ends a stream on an error the client can act on (same body as an HTTP error). */
function errorFrame(err: MoeError): string {
  return JSON.stringify({
    error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
  });
}

export function streamRoutes(ctx: GatewayContext): FastifyPluginAsyncTypebox {
  const { access, tenancy } = ctx;

  /** agents of projects the caller cannot see stay hidden inside a visible workspace */
  const visibleAgents = (p: Principal) => (ev: { source: string; actor: { id: string } }) => {
    if (ev.source !== 'agent') return true;
    const project = tenancy.projects.get(parseTaskId(ev.actor.id)?.project ?? '');
    return project !== undefined && access.canSeeProject(p, project);
  };

  const targets: Record<TargetKind, (p: Principal, id: string, q: Query) => Target> = {
    workspace: (p, id, q) => {
      const { ws } = access.requireWorkspace(p, id);
      const filter = filterOf(q);
      const visible = visibleAgents(p);
      return {
        subject: workspaceEventFilter(ws.org, ws.id),
        filter: { ...filter, allow: visible },
        live: {
          subject: workspaceLiveFilter(ws.org, ws.id),
          allow: (d) =>
            deltaMatches(d.actor.kind, filter) && visible({ source: d.actor.kind, actor: d.actor }),
        },
      };
    },
    session: (p, id, q) => {
      const ws = tenancy.workspaces.get(parseSessionId(id)?.ws ?? '');
      if (!ws || !access.canSeeWorkspace(p, ws)) throw errors.NOT_FOUND(`session ${id}`);
      const filter = filterOf(q);
      const visible = visibleAgents(p);
      // the session's agents, learned from the turns that pass by (an agent's first turn comes
      // before its first LLM call, so before its first delta)
      const agents = new Set<string>();
      return {
        subject: workspaceEventFilter(ws.org, ws.id),
        filter: { ...filter, session: id, allow: visible },
        live: {
          subject: workspaceLiveFilter(ws.org, ws.id),
          allow: (d) => agents.has(`${d.actor.kind}.${d.actor.id}`) && deltaMatches(d.actor.kind, filter),
          onTurn: (ev) => {
            if (ev.session === id && visible(ev)) agents.add(`${ev.actor.kind}.${ev.actor.id}`);
          },
        },
      };
    },
    task: (p, id, q) => {
      const parsed = parseTaskId(id);
      const project = tenancy.projects.get(parsed?.project ?? '');
      if (!parsed || !project || project.workspace !== parsed.ws || !access.canSeeProject(p, project))
        throw errors.NOT_FOUND(`task ${id}`);
      const agent = { org: project.org, ws: project.workspace, kind: 'agent', id };
      const filter = filterOf(q);
      return {
        subject: eventSubject(agent),
        filter,
        live: { subject: liveSubject(agent), allow: (d) => deltaMatches(d.actor.kind, filter) },
      };
    },
  };

  /** The stream's deltas while it is open, when the client asked for them. */
  const deltasOf = (target: Target, on: boolean, send: (d: DeltaEvent) => void): DeltaSubscription | null =>
    on
      ? subscribeDeltas(ctx.bus.nc, target.live.subject, (d) => {
          if (target.live.allow(d)) send(d);
        })
      : null;

  const open = (target: Target, start: StreamStart) =>
    openEventStream(ctx.bus, target.subject, {
      start,
      filter: target.filter,
      ...(target.live.onTurn ? { onTurn: target.live.onTurn } : {}),
    });

  const sse = async (
    req: FastifyRequest,
    reply: FastifyReply,
    target: Target,
    start: StreamStart,
    withDeltas: boolean,
  ) => {
    const stream = await open(target, start);
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      connection: 'keep-alive',
    });
    reply.raw.write(': stream open\n\n');
    const ping = setInterval(() => reply.raw.write(': ping\n\n'), 15_000);
    // no `id:` on a delta: Last-Event-ID stays the last journal cursor
    const deltas = deltasOf(target, withDeltas, (d) =>
      reply.raw.write(`event: delta\ndata: ${JSON.stringify(d)}\n\n`),
    );
    req.raw.on('close', () => {
      clearInterval(ping);
      deltas?.close();
      void stream.close();
    });
    try {
      // no `event:` line: a default `message` event, which is what EventSource.onmessage receives
      for await (const ev of stream) reply.raw.write(`id: ${ev.cursor}\ndata: ${JSON.stringify(ev)}\n\n`);
    } catch (err) {
      if (!isMoeError(err)) throw err;
      reply.raw.write(`event: error\ndata: ${errorFrame(err)}\n\n`);
    } finally {
      clearInterval(ping);
      deltas?.close();
      await stream.close();
    }
    reply.raw.end();
  };

  const ws = async (
    socket: WebSocket,
    req: FastifyRequest,
    target: Target,
    start: StreamStart,
    withDeltas: boolean,
  ) => {
    let stream: Awaited<ReturnType<typeof openEventStream>>;
    try {
      stream = await open(target, start);
    } catch (err) {
      req.log.warn({ err }, 'stream open failed');
      socket.close(1011, 'stream unavailable');
      return;
    }
    const deltas = deltasOf(target, withDeltas, (d) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(d));
    });
    socket.on('close', () => {
      deltas?.close();
      void stream.close();
    });
    socket.on('message', () => undefined);
    try {
      for await (const ev of stream) {
        if (socket.readyState !== socket.OPEN) break;
        socket.send(JSON.stringify(ev));
      }
    } catch (err) {
      if (!isMoeError(err)) throw err;
      if (socket.readyState === socket.OPEN) {
        socket.send(errorFrame(err));
        socket.close(err.code === errors.CURSOR_PURGED.spec.code ? STREAM_ERROR_CLOSE : 1011, err.code);
      }
    } finally {
      deltas?.close();
      await stream.close();
    }
  };

  return async (app) => {
    const paths: [string, TargetKind][] = [
      ['/api/workspaces/:id/events', 'workspace'],
      ['/api/sessions/:id/stream', 'session'],
      ['/api/tasks/:id/stream', 'task'],
    ];
    for (const [path, kind] of paths) {
      const resolve = (req: FastifyRequest) => {
        const { id } = req.params as { id: string };
        const q = req.query as Query;
        return {
          target: targets[kind](principal(req), id, q),
          start: startOf(req, q, kind),
          withDeltas: flagOn(q.deltas),
        };
      };
      app.route({
        method: 'GET',
        url: path,
        schema: {
          tags: ['streams'],
          params: IdParams,
          querystring: StreamQuery,
          response: errorResponses(404, 410),
        },
        // the tenant check, the purged-cursor check and the stream cap run before the upgrade, so a
        // foreign id, a lost resume point or one stream too many never opens a socket; the slot is
        // freed when the connection ends
        preHandler: async (req) => {
          const { target, start } = resolve(req);
          await assertCursorHeld(ctx.bus.jsm, target.subject, start);
          const release = ctx.streamSlots.acquire(principal(req));
          const socket = req.raw.socket as typeof req.raw.socket | undefined;
          socket?.once('close', release);
          slotOf.set(req, () => {
            socket?.off('close', release);
            release();
          });
        },
        handler: async (req, reply) => {
          try {
            const { target, start, withDeltas } = resolve(req);
            await sse(req, reply, target, start, withDeltas);
          } finally {
            releaseSlot(req);
          }
        },
        wsHandler: async (socket, req) => {
          try {
            const { target, start, withDeltas } = resolve(req);
            await ws(socket, req, target, start, withDeltas);
          } finally {
            releaseSlot(req);
          }
        },
      });
    }
  };
}
