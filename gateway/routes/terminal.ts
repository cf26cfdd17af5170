/**
 * `WS /api/cards/:id/terminal`: the card terminal of seed 002 (gateway/terminal/). The card id
 * embeds workspace and project (`<ws>-<project>-c…`), so the URL locates the card actor and its
 * access rule, as for tasks: a malformed, unknown or foreign card is 404 before any upgrade, one
 * stream too many 429 (`MOE_ERR_TOO_MANY_STREAMS`, the same per-principal cap as the other
 * streams), a plain GET 426 `MOE_ERR_UPGRADE_REQUIRED`. With `realtime=0` the socket closes with
 * code 1000 once the journal's messages are sent; a failure while streaming sends an `error`
 * message, then closes with 1011.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { isMoeError } from '../../schemas/index.js';
import type { Principal } from '../access.js';
import { principal, type GatewayContext } from '../context.js';
import { parseCardId } from '../crypto.js';
import { errors } from '../errors.js';
import { errorResponses, IdParams } from '../httpSchemas.js';
import { openTerminal, TerminalQuery, terminalRequest, type Terminal } from '../terminal/index.js';

/** The slot each terminal holds from its HTTP phase until the socket ends. */
const slotOf = new WeakMap<FastifyRequest, () => void>();

export function terminalRoutes(ctx: GatewayContext): FastifyPluginAsyncTypebox {
  const { access, bus } = ctx;

  /** The card's actor address after the tenant check: unknown, foreign and malformed ids are 404. */
  const locate = async (p: Principal, id: string) => {
    const parsed = parseCardId(id);
    const project = parsed ? ctx.tenancy.projects.get(parsed.project) : undefined;
    if (!parsed || !project || project.workspace !== parsed.ws || !access.canSeeProject(p, project))
      throw errors.NOT_FOUND(`card ${id}`);
    const card = { org: project.org, ws: project.workspace, kind: 'card', id };
    if (!(await bus.lastRecord(card))) throw errors.NOT_FOUND(`card ${id}`);
    return card;
  };

  return async (app) => {
    app.route({
      method: 'GET',
      url: '/api/cards/:id/terminal',
      schema: {
        tags: ['cards'],
        params: IdParams,
        querystring: TerminalQuery,
        response: errorResponses(404, 426),
      },
      preHandler: async (req) => {
        await locate(principal(req), req.params.id);
        const release = ctx.streamSlots.acquire(principal(req));
        const socket = req.raw.socket as typeof req.raw.socket | undefined;
        socket?.once('close', release);
        slotOf.set(req, () => {
          socket?.off('close', release);
          release();
        });
      },
      handler: async (req) => {
        slotOf.get(req)?.();
        throw errors.UPGRADE_REQUIRED();
      },
      wsHandler: async (socket, req) => {
        let terminal: Terminal | undefined;
        let gone = false;
        socket.on('close', () => {
          gone = true;
          void terminal?.close();
        });
        socket.on('message', () => undefined);
        try {
          const card = await locate(principal(req), req.params.id);
          const want = terminalRequest(req.query);
          terminal = await openTerminal(bus, {
            card,
            ...want,
            send: (frame) => {
              if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(frame));
            },
          });
          if (gone) return;
          await terminal.done;
          if (socket.readyState === socket.OPEN) socket.close(1000, 'replay complete');
        } catch (err) {
          req.log.warn({ err }, 'card terminal failed');
          if (socket.readyState === socket.OPEN) {
            const message = isMoeError(err) ? err.message : 'terminal stream failed';
            const code = isMoeError(err) ? err.code : errors.INTERNAL.spec.code;
            socket.send(JSON.stringify({ type: 'error', data: { message, code } }));
            socket.close(1011, code);
          }
        } finally {
          await terminal?.close();
          slotOf.get(req)?.();
        }
      },
    });
  };
}
