/**
 * The console's routes, all under `/console`. Every one of them needs an operator identity
 * (identity.ts) — `Authorization: Bearer <jwt | moe_… | operator token>`, or the HttpOnly
 * `moe_console` cookie that `POST /console/api/session` sets from such a header — except the
 * sign-in page and that call. Actions are POSTs that also need the `x-moe-console` header (a
 * cross-site form cannot send it; the cookie is SameSite=Strict too), a role (identity.ts), and
 * are journaled in the audit log before they run (audit.ts).
 *
 *   GET  /console                         the page (401 and a link to sign in without identity)
 *   GET  /console/login                   the sign-in page (public)
 *   POST /console/api/session             Bearer credential → cookie (public)
 *   POST /console/api/logout              clears the cookie
 *   GET  /console/api/overview            everything the page shows (overview.ts)
 *   GET  /console/api/events              the same, live (SSE: `event: overview` when it changes)
 *   GET  /console/api/tasks/:id           a task's timeline and result
 *   POST /console/api/tasks/:id/approve   approve / deny a task waiting for approval (member)
 *   POST /console/api/tasks/:id/deny
 *   GET  /console/api/dead-letters/:seq   one dead letter (reason, payload excerpt, headers)
 *   POST /console/api/dead-letters/:seq/redrive | /discard   (admin)
 *   POST /console/api/actors/:actor/restart  restart an actor its restart policy stopped (admin;
 *                                         `:actor` is `<org>.<ws>.<kind>.<id>`, stoppedActors.ts)
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { OrgRole } from '../../schemas/index.js';
import { authenticator } from '../authenticate.js';
import { rejection } from '../bus.js';
import { newCommandId, type GatewayContext } from '../context.js';
import { parseTaskId } from '../crypto.js';
import { isPlatformOperator } from '../platformOperators.js';
import { errors } from '../errors.js';
import { ApprovalBody, IdParams } from '../httpSchemas.js';
import { audit } from './audit.js';
import type { ClusterSource } from './clusterSource.js';
import { DeadLetterDesk } from './deadLetterDesk.js';
import { memberViewer, operatorViewer, type ConsoleViewer } from './identity.js';
import { namesOf } from './names.js';
import { overview, type ConsoleDeps } from './overview.js';
import { CONSOLE_LOGIN_PAGE, CONSOLE_PAGE, CONSOLE_REFUSED_PAGE } from './page.js';
import { ConsoleSeries, DEFAULT_SERIES_MS } from './series.js';
import { sampleSeries } from './seriesSample.js';
import { openSeriesStore, seriesMaxAgeFromEnv } from './seriesStore.js';
import { SessionIndex } from './sessionIndex.js';
import { StoppedActorDesk } from './stoppedActors.js';
import { TaskIndex } from './taskIndex.js';

export const CONSOLE_COOKIE = 'moe_console';
/** How often the live stream recomputes the overview (it sends only when something changed). */
export const CONSOLE_LIVE_MS = 1000;

export interface ConsoleOptions {
  /** the operator token (standalone use); null: only JWTs of operators and org members */
  readonly operatorToken: string | null;
  /** emails of the users who are platform operators */
  readonly operators: ReadonlySet<string>;
  /** ids of the API keys that carry the platform-operator role (`MOE_OPERATOR_KEYS`) */
  readonly operatorKeys?: ReadonlySet<string>;
  readonly cluster: ClusterSource;
  /** how often the charts are sampled (series.ts; default MOE_CONSOLE_SERIES_MS, else 10 s) */
  readonly seriesIntervalMs?: number;
  /** how long chart samples are kept in MOE_CONSOLE_SERIES (seriesStore.ts; default MOE_CONSOLE_SERIES_MAX_AGE_MS, else 24 h) */
  readonly seriesMaxAgeMs?: number;
}

const digest = (s: string) => createHash('sha256').update(s).digest();
const sameSecret = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

function cookieOf(req: FastifyRequest, name: string): string | null {
  const raw = req.headers.cookie;
  if (typeof raw !== 'string') return null;
  for (const part of raw.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

function headerCredential(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (typeof h === 'string' && /^bearer /i.test(h)) return h.slice(7).trim() || null;
  const k = req.headers['x-api-key'];
  return typeof k === 'string' && k ? k.trim() : null;
}

const SeqParams = Type.Object({ seq: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
const ActorParams = Type.Object(
  { actor: Type.String({ minLength: 7, maxLength: 300 }) },
  { additionalProperties: false },
);

declare module 'fastify' {
  interface FastifyRequest {
    consoleViewer: ConsoleViewer | null;
  }
}

export function consoleRoutes(ctx: GatewayContext, o: ConsoleOptions): FastifyPluginAsyncTypebox {
  const authenticate = authenticator(ctx);
  const names = namesOf(ctx.tenancy);
  const operators = { emails: o.operators, keyIds: o.operatorKeys ?? new Set<string>() };
  /** a chart sample not stored or read back: logged once the plugin has its logger */
  let seriesProblem: (err: unknown) => void = () => undefined;
  const deps: ConsoleDeps = {
    bus: ctx.bus,
    tenancy: ctx.tenancy,
    usage: ctx.usage,
    names,
    cluster: o.cluster,
    series: new ConsoleSeries(
      () => sampleSeries(o.cluster, ctx.usage, ctx.tenancy),
      o.seriesIntervalMs ?? DEFAULT_SERIES_MS,
      Date.now,
      (err) => seriesProblem(err),
    ),
    tasks: new TaskIndex(ctx.bus),
    sessions: new SessionIndex(ctx.bus),
    letters: new DeadLetterDesk(ctx.bus),
    stopped: new StoppedActorDesk(ctx.bus.nc),
  };

  /** The viewer behind a credential; throws 401 when there is none or it is not valid. */
  const viewerOf = async (req: FastifyRequest, cred: string | null): Promise<ConsoleViewer> => {
    if (!cred) throw errors.UNAUTHENTICATED('the console needs an operator identity');
    if (o.operatorToken !== null && sameSecret(cred, o.operatorToken)) return operatorViewer(ctx.tenancy);
    ctx.bus.link.assertUp('console');
    const p = await authenticate(req, cred);
    const email = ctx.tenancy.users.get(p.userId)?.email.toLowerCase();
    if (p.kind === 'user' && email !== undefined && o.operators.has(email))
      return operatorViewer(ctx.tenancy, email, p.userId);
    // an operator API key: listed in MOE_OPERATOR_KEYS, or created with the platform-operator role
    if (p.kind === 'apikey' && isPlatformOperator(operators, ctx.tenancy, p))
      return operatorViewer(ctx.tenancy, `API key ${p.keyId} (operator)`, p.userId);
    return memberViewer(p, ctx.access, ctx.tenancy);
  };
  const viewer = (req: FastifyRequest): ConsoleViewer => {
    if (!req.consoleViewer) throw errors.UNAUTHENTICATED();
    return req.consoleViewer;
  };
  const requireHeader = (req: FastifyRequest) => {
    if (req.headers['x-moe-console'] === undefined) throw errors.CONSOLE_HEADER_REQUIRED();
  };
  /** 404 unless the viewer sees `org`; 403 unless its role there is at least `min`. */
  const requireRole = (v: ConsoleViewer, org: string, min: OrgRole, what: string) => {
    if (v.role(org) === undefined) throw errors.NOT_FOUND(what);
    if (!v.may(org, min)) throw errors.FORBIDDEN(`needs ${min} in the org`);
  };
  const locateTask = (v: ConsoleViewer, id: string) => {
    const parsed = parseTaskId(id);
    const project = parsed ? ctx.tenancy.projects.get(parsed.project) : undefined;
    if (!parsed || !project || project.workspace !== parsed.ws || v.role(project.org) === undefined)
      throw errors.NOT_FOUND(`task ${id}`);
    return { org: project.org, ws: project.workspace, kind: 'agent', id };
  };
  const publicRoute = { public: true } as const;
  const openPaths = new Set(['/console/login', '/console/api/session', '/console/api/logout']);

  return async (app) => {
    app.decorateRequest('consoleViewer', null);
    seriesProblem = (err) => app.log.warn({ err }, 'console chart samples not stored or read back');
    // the charts' samples are kept in a stream and read back here, so they survive a restart
    const seriesStore = await openSeriesStore(ctx.bus.js, ctx.bus.jsm, {
      maxAgeMs: o.seriesMaxAgeMs ?? seriesMaxAgeFromEnv(),
      intervalMs: deps.series.intervalMs,
      replicas: Number(process.env.MOE_REPLICAS ?? 1) || 1,
    }).catch((err: unknown) => {
      app.log.warn({ err }, 'console chart samples are not stored (MOE_CONSOLE_SERIES unavailable)');
      return undefined;
    });
    await deps.series.start(seriesStore);
    app.addHook('onClose', async () => deps.series.stop());
    app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      const url = req.routeOptions.url ?? '';
      if (openPaths.has(url)) return;
      const cred = headerCredential(req) ?? cookieOf(req, CONSOLE_COOKIE);
      try {
        req.consoleViewer = await viewerOf(req, cred);
      } catch (err) {
        if (url === '/console')
          return reply.code(401).type('text/html; charset=utf-8').send(CONSOLE_REFUSED_PAGE);
        throw err;
      }
    });

    app.get('/console/login', { config: publicRoute, schema: { hide: true } }, async (_req, reply) =>
      reply.type('text/html; charset=utf-8').send(CONSOLE_LOGIN_PAGE),
    );
    app.post('/console/api/session', { config: publicRoute, schema: { hide: true } }, async (req, reply) => {
      requireHeader(req);
      const cred = headerCredential(req);
      const v = await viewerOf(req, cred);
      reply.header(
        'set-cookie',
        `${CONSOLE_COOKIE}=${encodeURIComponent(cred!)}; HttpOnly; SameSite=Strict; Path=/console`,
      );
      return { name: v.name, operator: v.operator };
    });
    app.post('/console/api/logout', { config: publicRoute, schema: { hide: true } }, async (_req, reply) => {
      reply.header('set-cookie', `${CONSOLE_COOKIE}=; HttpOnly; SameSite=Strict; Path=/console; Max-Age=0`);
      return { ok: true };
    });

    app.get('/console', { config: publicRoute, schema: { hide: true } }, async (_req, reply) =>
      reply.type('text/html; charset=utf-8').send(CONSOLE_PAGE),
    );
    app.get('/console/api/overview', { config: publicRoute, schema: { hide: true } }, async (req) =>
      overview(deps, viewer(req)),
    );
    app.get('/console/api/events', { config: publicRoute, schema: { hide: true } }, async (req, reply) => {
      const v = viewer(req);
      reply.hijack();
      const out = reply.raw;
      out.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        connection: 'keep-alive',
      });
      let last = '';
      let closed = false;
      let busy = false;
      const push = async () => {
        if (busy || closed) return;
        busy = true;
        try {
          const doc = await overview(deps, v);
          const { at: _at, ...rest } = doc;
          const key = JSON.stringify(rest);
          if (key !== last) {
            last = key;
            out.write(`event: overview\ndata: ${JSON.stringify(doc)}\n\n`);
          } else out.write(`: ${doc.at}\n\n`);
        } catch (err) {
          out.write(`event: problem\ndata: ${JSON.stringify({ message: String(err) })}\n\n`);
        } finally {
          busy = false;
        }
      };
      const timer = setInterval(() => void push(), CONSOLE_LIVE_MS);
      req.raw.on('close', () => {
        closed = true;
        clearInterval(timer);
      });
      await push();
    });

    app.get(
      '/console/api/tasks/:id',
      { config: publicRoute, schema: { hide: true, params: IdParams } },
      async (req) => {
        const v = viewer(req);
        const addr = locateTask(v, req.params.id);
        // a mixture-of-experts task is a coordinator actor under the same id
        const d =
          (await deps.tasks.detail(addr)) ?? (await deps.tasks.detail({ ...addr, kind: 'coordinator' }));
        if (!d) throw errors.NOT_FOUND(`task ${req.params.id}`);
        return {
          ...d,
          orgName: names.org(d.org),
          wsName: names.workspace(d.ws),
          projectName: names.project(d.project),
          canDecide: v.may(d.org, 'member'),
        };
      },
    );
    for (const verb of ['approve', 'deny'] as const) {
      app.post(
        `/console/api/tasks/:id/${verb}`,
        { config: publicRoute, schema: { hide: true, params: IdParams, body: ApprovalBody } },
        async (req) => {
          requireHeader(req);
          const v = viewer(req);
          const addr = locateTask(v, req.params.id);
          requireRole(v, addr.org, 'member', `task ${addr.id}`);
          const last = await ctx.bus.lastRecord(addr);
          if (!last) throw errors.NOT_FOUND(`task ${addr.id}`);
          await audit(ctx.bus, v, addr.org, `task.${verb}`, addr.id, req.body.reason);
          const r = await ctx.bus.request(
            addr,
            `task.${verb}`,
            { ...req.body },
            {
              id: newCommandId(),
              session: last.rec.session,
            },
          );
          const reason = rejection(r.rec);
          if (reason) throw errors.CONFLICT(reason);
          return { id: addr.id, state: r.rec.state, status: r.rec.status };
        },
      );
    }

    app.get(
      '/console/api/dead-letters/:seq',
      { config: publicRoute, schema: { hide: true, params: SeqParams } },
      async (req) => {
        const v = viewer(req);
        const l = await deps.letters.get(req.params.seq, (org) => v.role(org) !== undefined);
        return {
          ...l,
          orgName: names.org(l.org),
          wsName: names.workspace(l.ws),
          canAct: v.may(l.org, 'admin'),
        };
      },
    );
    for (const verb of ['redrive', 'discard'] as const) {
      app.post(
        `/console/api/dead-letters/:seq/${verb}`,
        { config: publicRoute, schema: { hide: true, params: SeqParams } },
        async (req) => {
          requireHeader(req);
          const v = viewer(req);
          const l = await deps.letters.get(req.params.seq, (org) => v.role(org) !== undefined);
          requireRole(v, l.org, 'admin', `dead letter ${l.seq}`);
          await audit(
            ctx.bus,
            v,
            l.org,
            `deadletter.${verb}`,
            `${l.seq} ${l.subject}`,
            `${l.code}: ${l.reason}`,
          );
          if (verb === 'discard') {
            await deps.letters.discard(l);
            return { seq: l.seq, discarded: true };
          }
          return { seq: l.seq, redriven: true, ...(await deps.letters.redrive(l)) };
        },
      );
    }

    app.post(
      '/console/api/actors/:actor/restart',
      { config: publicRoute, schema: { hide: true, params: ActorParams } },
      async (req) => {
        requireHeader(req);
        const v = viewer(req);
        const a = await deps.stopped.get(req.params.actor, (org) => v.role(org) !== undefined);
        requireRole(v, a.org, 'admin', `stopped actor ${a.actor}`);
        await audit(ctx.bus, v, a.org, 'actor.restart', a.actor, `${a.action}: ${a.code}: ${a.reason}`);
        await deps.stopped.restart(a);
        return { actor: a.actor, restarted: true };
      },
    );
  };
}
