/**
 * Builds the gateway: a Fastify instance with TypeBox validation, JWT, WebSocket, OpenAPI at /docs,
 * one error handler that gives every 4xx/5xx a stable code (a NATS outage is a retryable 503, never
 * a 500), authentication in onRequest (so an anonymous caller gets 401 before its body is parsed
 * or validated), rate limiting in a preHandler, `nosniff` / `no-store` headers on every answer,
 * metrics per request, and the route families. Its own NATS connection reconnects forever.
 * Stateless: all it keeps in memory are the tenancy and usage projections, rebuilt from the
 * journal at start (usage from its newest snapshot in `moe_gateway_snapshots` and the journal after
 * it, since workspace journals are purged behind backups; tenancy from the `_tenancy` journal,
 * which is never purged). Rate limits charge the caller's bucket (API key or user) and, when the request
 * concerns an org the caller belongs to, that org's bucket too — both in JetStream KV, so every
 * replica shares them (leased into local buckets, rateLimit.ts). On the hot path a request costs
 * one NATS round trip, its command's publish: revoked tokens are cached from a KV watch
 * (revocations.ts), and turns reach requests through one shared journal follower (acceptance.ts).
 */
import { traceRequests } from './tracing.js';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import fastifyJwt from '@fastify/jwt';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyWebsocket from '@fastify/websocket';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { connect, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import {
  openWebhookBucket,
  secretBoxFromEnv,
  startWebhookService,
  webhookConfigFromEnv,
  type SecretBox,
  type WebhookConfig,
} from './webhooks/index.js';
import { Kvm, type KV } from '@nats-io/kv';
import { isMoeError, KV_BUCKETS, STREAMS, type MoeError } from '../schemas/index.js';
import { natsServers } from '../actors/kernel/index.js';
import { Access } from './access.js';
import { authenticator } from './authenticate.js';
import { AJV_OPTIONS, gatewaySchemaController, validationMessage } from './validation.js';
import { acceptEmptyJsonBodies } from './jsonBody.js';
import { createBus } from './bus.js';
import { openRevocations } from './revocations.js';
import { principal, tenancyCommander, type GatewayContext } from './context.js';
import { errors } from './errors.js';
import { createMetrics } from './metrics.js';
import { isNatsOutage, natsUnavailable } from './natsLink.js';
import { DEFAULT_MAX_STREAMS_PER_PRINCIPAL, streamSlots } from './streamSlots.js';
import { TenancyProjection } from './projection.js';
import { ProvisioningProjection } from './provisioning.js';
import { createRateLimiter, type RateLimitRule } from './rateLimit.js';
import { agentRunObserver } from './agentRunMetrics.js';
import { chargedOrg, requestTenant } from './requestOrg.js';
import { UsageProjection } from './usageProjection.js';
import { BoardProjection } from './boardProjection.js';
import { InvoiceBook } from './invoiceBook.js';
import { openSnapshotStore } from './snapshotStore.js';
import { DEFAULT_SNAPSHOT_INTERVAL_MS } from './snapshotSchedule.js';
import { registerRoutes } from './routes/index.js';
import { ErrorBody } from './httpSchemas.js';
import { natsAuthOptions } from '../actors/kernel/index.js';
import { openAuthDir } from './natsCredentials/index.js';
import { startReplayService } from './replayService.js';
import { startEscalationRouter } from './escalationRouter.js';
import { consoleRoutes, operatorEmails, operatorKeyIds, supervisorSource } from './console/index.js';
import { parseCorsOrigins, registerCors } from './cors.js';

/** @deprecated use KV_BUCKETS.gatewayRevoked from schemas/subjects.ts */
export const REVOKED_BUCKET = KV_BUCKETS.gatewayRevoked;

export interface GatewayOptions {
  /** NATS server URL(s); ignored when `nc` is given */
  natsUrl?: string | string[];
  /** an existing connection (not closed by the gateway) */
  nc?: NatsConnection;
  /**
   * options for the gateway's own connection, over the defaults (reconnect forever, every second):
   * tests inject a small `maxReconnectAttempts` to see a closed connection
   */
  natsConnectOptions?: Partial<ConnectionOptions>;
  /**
   * the NATS auth directory (`moe creds init`) for `/api/orgs/:org/nats-credentials` (default:
   * MOE_NATS_AUTH_DIR; unset: those routes answer 501)
   */
  natsAuthDir?: string;
  /** concurrent WebSocket/SSE streams per user or API key on this instance (default 16) */
  maxStreamsPerPrincipal?: number;
  /**
   * web origins whose pages may call the API cross-origin, or `*` (default: MOE_CORS_ORIGINS,
   * comma-separated; unset: none, cors.ts)
   */
  corsOrigins?: string | readonly string[];
  /**
   * bearer token that unlocks the platform-wide usage and money counters on `/metrics`
   * (default: MOE_METRICS_TOKEN; unset: nobody sees them)
   */
  metricsToken?: string;
  /**
   * the operator token: signs a platform operator into the console and lets the console read the
   * supervisor (default: MOE_OPERATOR_TOKEN; unset: only users in `operators` are operators)
   */
  operatorToken?: string;
  /** emails of the platform operators (default: MOE_OPERATORS, comma-separated) */
  operators?: readonly string[];
  /** ids of the API keys that are platform operators (default: MOE_OPERATOR_KEYS, comma-separated) */
  operatorKeys?: readonly string[];
  /** the supervisor whose `/api/status` the console shows (default: MOE_SUPERVISOR_URL; unset: no nodes) */
  supervisorUrl?: string;
  /**
   * the signing secret of the Stripe webhook endpoint (`whsec_…`) that `POST
   * /api/billing/stripe/webhook` verifies against (default: MOE_STRIPE_WEBHOOK_SECRET; unset: the
   * route answers 501)
   */
  stripeWebhookSecret?: string;
  /** how often the console samples its charts, ms (default: MOE_CONSOLE_SERIES_MS, else 10 s) */
  consoleSeriesMs?: number;
  /** HS256 secret for user tokens (at least 32 chars) */
  jwtSecret: string;
  /** user token lifetime, seconds (default 12 h) */
  tokenTtlSec?: number;
  /** max request body, bytes (default 1 MiB) */
  bodyLimit?: number;
  /** how long a route waits for the turn of an actor's command (default 10 s) */
  commandTimeoutMs?: number;
  rateLimits?: Partial<RateLimits>;
  /**
   * how often the usage projection's snapshot is written, ms (default: MOE_GATEWAY_SNAPSHOT_MS, else
   * 5 min); also written on close
   */
  snapshotIntervalMs?: number;
  /**
   * pino logger options or false (default: level from MOE_LOG_LEVEL, else 'info'); `stream`
   * receives the JSON lines instead of stdout
   */
  logger?: boolean | { level: string; stream?: { write(line: string): void } };
  /**
   * webhook delivery settings over the environment's (webhooks/webhookConfig.ts); false: this
   * gateway does not deliver (default: on unless MOE_WEBHOOKS=0)
   */
  webhooks?: Partial<WebhookConfig> | false;
  /**
   * seals webhook signing secrets at rest (default: MOE_SECRETS_KEY, MOE_SECRETS_KEY_PREVIOUS; `moe
   * up` generates one into its data dir; unset: registering a webhook answers
   * MOE_ERR_SECRETS_KEY_MISSING)
   */
  secretBox?: SecretBox | null;
  /**
   * route the escalations of restart policies to coordinators and org admins
   * (escalationRouter.ts; default true; every gateway may run it, each escalation is routed once)
   */
  escalationRouting?: boolean;
}

export interface RateLimits {
  perApiKey: RateLimitRule;
  /** every request about one org, whoever makes it (API keys and users alike) */
  perOrg: RateLimitRule;
  perUser: RateLimitRule;
  /** unauthenticated routes (register, login), per client IP */
  perIp: RateLimitRule;
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  perApiKey: { limit: 600, windowMs: 60_000 },
  perOrg: { limit: 3000, windowMs: 60_000 },
  perUser: { limit: 600, windowMs: 60_000 },
  perIp: { limit: 60, windowMs: 60_000 },
};

export interface Gateway {
  readonly app: FastifyInstance;
  readonly ctx: GatewayContext;
  close(): Promise<void>;
}

function errorBody(err: MoeError) {
  return {
    error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
  };
}

/** The deletion bucket: the nodes' (made with their replicas) when it exists, else made here. */
async function openRetired(nc: NatsConnection): Promise<KV> {
  const kvm = new Kvm(nc);
  return kvm.open(KV_BUCKETS.retired).catch(() => kvm.create(KV_BUCKETS.retired, { history: 1 }));
}

/** Maps anything thrown in Fastify to a catalogued {@link MoeError}. */
export function toMoeError(err: unknown): MoeError {
  if (isMoeError(err)) return err;
  const e = err as Partial<FastifyError>;
  if (e.validation)
    return errors.VALIDATION(validationMessage(e.validationContext, e.validation, e.message ?? 'invalid'));
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errors.PAYLOAD_TOO_LARGE();
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errors.UNSUPPORTED_MEDIA_TYPE();
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return errors.MALFORMED_JSON(e.message);
  }
  if (e instanceof SyntaxError) return errors.MALFORMED_JSON(e.message);
  if (typeof e.code === 'string' && e.code.startsWith('FST_JWT')) return errors.UNAUTHENTICATED(e.message);
  if (typeof e.statusCode === 'number' && e.statusCode === 413) return errors.PAYLOAD_TOO_LARGE();
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500)
    return errors.BAD_REQUEST(e.message);
  return errors.INTERNAL(undefined, { cause: err });
}

/** The auth directory (option, else MOE_NATS_AUTH_DIR) and the URL to push revocations to; null when unset. */
function natsAuthFrom(opts: GatewayOptions, nc: NatsConnection): GatewayContext['natsAuth'] {
  const dir = opts.natsAuthDir ?? process.env.MOE_NATS_AUTH_DIR;
  if (!dir) return null;
  const url = opts.natsUrl ?? `nats://${nc.getServer()}`;
  try {
    return { dir: openAuthDir(dir), natsUrl: Array.isArray(url) ? url.join(',') : url };
  } catch (err) {
    throw errors.NATS_AUTH_NOT_CONFIGURED((err as Error).message);
  }
}

/** MOE_GATEWAY_SNAPSHOT_MS when it is a positive integer (the CLI refuses other values), else the default. */
function snapshotIntervalFromEnv(): number {
  const n = Number(process.env.MOE_GATEWAY_SNAPSHOT_MS);
  return Number.isSafeInteger(n) && n > 0 ? n : DEFAULT_SNAPSHOT_INTERVAL_MS;
}

/** @example const gw = await buildGateway({ natsUrl: 'nats://127.0.0.1:4222', jwtSecret }); await gw.app.listen({ port: 8080 }); */
export async function buildGateway(opts: GatewayOptions): Promise<Gateway> {
  if (opts.jwtSecret.length < 32) throw new Error('jwtSecret must be at least 32 characters');
  const corsOrigins = parseCorsOrigins(opts.corsOrigins ?? process.env.MOE_CORS_ORIGINS);
  const ownsConnection = !opts.nc;
  const nc =
    opts.nc ??
    (await connect({
      servers: natsServers(opts.natsUrl ?? 'nats://127.0.0.1:4222'),
      name: 'moe-gateway',
      // the client's default (10 attempts, 2 s apart) gives up after ~20 s and never comes back
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1000,
      // no Error (stack capture) per request on the hot path, like the node and the supervisor
      noAsyncTraces: true,
      ...natsAuthOptions(),
      ...opts.natsConnectOptions,
    }));
  const commandTimeoutMs = opts.commandTimeoutMs ?? 10_000;
  const tokenTtlSec = opts.tokenTtlSec ?? 12 * 3600;
  const limits: RateLimits = { ...DEFAULT_RATE_LIMITS, ...opts.rateLimits };

  const app = Fastify({
    logger: opts.logger ?? { level: process.env.MOE_LOG_LEVEL ?? 'info' },
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    // bodies are validated without type coercion, path/query/headers with it (validation.ts)
    ajv: { customOptions: { ...AJV_OPTIONS } },
    schemaController: gatewaySchemaController,
    trustProxy: false,
  }).withTypeProvider<TypeBoxTypeProvider>();
  acceptEmptyJsonBodies(app);

  const bus = await createBus(nc, commandTimeoutMs, app.log);
  const tenancy = new TenancyProjection(bus.js, app.log);
  const provisioning = new ProvisioningProjection(bus.js, app.log);
  const metrics = createMetrics();
  const revocations = await openRevocations(nc, tokenTtlSec, app.log);
  const limiter = await createRateLimiter(nc);
  const retired = await openRetired(nc);
  const usage = new UsageProjection(agentRunObserver(metrics));
  const boards = new BoardProjection();
  const invoices = new InvoiceBook();
  const secretBox = opts.secretBox !== undefined ? opts.secretBox : secretBoxFromEnv();
  const ctx: GatewayContext = {
    bus,
    tenancy,
    usage,
    boards,
    invoices,
    access: new Access(tenancy),
    operators: {
      emails: operatorEmails(opts.operators?.join(',') ?? process.env.MOE_OPERATORS),
      keyIds: operatorKeyIds(opts.operatorKeys?.join(',') ?? process.env.MOE_OPERATOR_KEYS),
    },
    provisioning,
    metrics,
    revocations,
    retired,
    tokenTtlSec,
    commandTimeoutMs,
    metricsToken: opts.metricsToken ?? process.env.MOE_METRICS_TOKEN ?? null,
    natsAuth: natsAuthFrom(opts, nc),
    stripeWebhookSecret: opts.stripeWebhookSecret ?? (process.env.MOE_STRIPE_WEBHOOK_SECRET?.trim() || null),
    secretBox,
    streamSlots: streamSlots(opts.maxStreamsPerPrincipal ?? DEFAULT_MAX_STREAMS_PER_PRINCIPAL),
    tenancyCommand: tenancyCommander(bus, tenancy, commandTimeoutMs),
  };
  const authenticate = authenticator(ctx);

  // verified tokens are cached by authenticate.ts (verifiedTokens.ts), revocation checked on every request
  await app.register(fastifyJwt, { secret: opts.jwtSecret, sign: { expiresIn: tokenTtlSec } });
  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'MOE-Agents gateway',
        version: '0.1.0',
        description: 'REST + WebSocket API of MOE-Agents (see docs/api.md)',
      },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'a JWT from POST /auth/login, or an API key moe_…',
          },
          apiKey: {
            type: 'apiKey',
            in: 'header',
            name: 'x-api-key',
            description: 'an API key moe_… (POST /api/orgs/{org}/api-keys)',
          },
        },
      },
      // either scheme on every route; public routes (auth, health) override it with `security: []`
      security: [{ bearer: [] }, { apiKey: [] }],
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  // before the authentication hook: a preflight carries no credentials and is answered here
  await registerCors(app, corsOrigins);

  app.decorateRequest('principal', null);
  app.decorateRequest('tenant', null);
  app.addSchema(ErrorBody);

  app.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    let moe = toMoeError(err);
    if (moe.status === 500 && (isNatsOutage(err) || !bus.link.up))
      moe = natsUnavailable('NATS did not answer', err);
    if (moe.status >= 500) req.log.error({ err }, 'request failed');
    if (moe.retryAfterMs !== undefined)
      reply.header('retry-after', String(Math.max(1, Math.ceil(moe.retryAfterMs / 1000))));
    metrics.errorsTotal.inc({ route: req.routeOptions.url ?? 'unknown', code: moe.code });
    return reply.status(moe.status).send(errorBody(moe));
  });
  app.setNotFoundHandler((req, reply) => {
    const moe = errors.ROUTE_NOT_FOUND(`${req.method} ${req.url.split('?')[0]}`);
    metrics.errorsTotal.inc({ route: 'unknown', code: moe.code });
    return reply.status(404).send(errorBody(moe));
  });

  traceRequests(app);

  // hooks with nothing to await take Fastify's `done` callback: no promise per request
  app.addHook('onResponse', (req, reply, done) => {
    metrics.requestDuration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unknown', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });

  // an authenticated route: not the OpenAPI UI/document, not a public route, not a 404
  const needsPrincipal = (req: FastifyRequest) =>
    req.routeOptions.url !== undefined &&
    !req.routeOptions.url.startsWith('/docs') &&
    !req.routeOptions.config?.public;

  // headers first, so every answer (errors and 401s included) carries them; authentication before
  // the body is parsed or validated, so an anonymous caller learns nothing about a route's schema
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('cache-control', 'no-store');
    if (!needsPrincipal(req)) return;
    // during an outage nothing behind authentication can be answered: say so at once (503)
    bus.link.assertUp(req.routeOptions.url ?? 'request');
    req.principal = await authenticate(req);
  });

  // a POST/PUT without a body means "no options": validate it as {}
  app.addHook('preValidation', (req, _reply, done) => {
    if (req.body === undefined && (req.method === 'POST' || req.method === 'PUT')) req.body = {};
    done();
  });

  app.addHook('preHandler', async (req) => {
    if (!needsPrincipal(req)) {
      if (req.routeOptions.config?.public && req.routeOptions.url?.startsWith('/auth/'))
        await limiter.hit(`ip.${req.ip.replace(/[^A-Za-z0-9_-]/g, '_')}`, limits.perIp);
      return;
    }
    const p = principal(req);
    if (p.kind === 'apikey') await limiter.hit(`key.${p.keyId}`, limits.perApiKey);
    else await limiter.hit(`user.${p.userId}`, limits.perUser);
    req.tenant = requestTenant(req, p, tenancy, ctx.access);
    const org = chargedOrg(p, req.tenant);
    if (org !== null) await limiter.hit(`org.${org}`, limits.perOrg);
  });

  await app.register(registerRoutes(ctx));
  const operatorToken = opts.operatorToken ?? process.env.MOE_OPERATOR_TOKEN?.trim() ?? null;
  const seriesEnv = Number(process.env.MOE_CONSOLE_SERIES_MS);
  const consoleSeriesMs =
    opts.consoleSeriesMs ?? (Number.isInteger(seriesEnv) && seriesEnv >= 100 ? seriesEnv : undefined);
  await app.register(
    consoleRoutes(ctx, {
      operatorToken: operatorToken || null,
      operators: ctx.operators.emails,
      operatorKeys: ctx.operators.keyIds,
      cluster: supervisorSource(
        opts.supervisorUrl ?? process.env.MOE_SUPERVISOR_URL ?? null,
        operatorToken || null,
      ),
      ...(consoleSeriesMs !== undefined ? { seriesIntervalMs: consoleSeriesMs } : {}),
    }),
  );
  await app.ready();

  const startSeq = await bus.jsm.streams
    .info(STREAMS.events)
    .then((i) => i.state.last_seq)
    .catch(() => 0);
  const snapshots = await openSnapshotStore(nc, bus.jsm);
  await Promise.all([
    tenancy.start(),
    provisioning.start(),
    boards.start(bus.js, app.log),
    invoices.start(bus.js, app.log),
    usage.start(bus.js, app.log, startSeq, {
      snapshots,
      snapshotEveryMs: opts.snapshotIntervalMs ?? snapshotIntervalFromEnv(),
    }),
  ]);
  const replay = startReplayService(nc, bus.jsm, app.log);
  const webhooks =
    opts.webhooks === false || (opts.webhooks === undefined && process.env.MOE_WEBHOOKS?.trim() === '0')
      ? null
      : await startWebhookService({
          js: bus.js,
          jsm: bus.jsm,
          kv: await openWebhookBucket(nc),
          secretBox,
          config: { ...webhookConfigFromEnv(), ...opts.webhooks },
          log: app.log,
        }).catch((err: unknown) => {
          app.log.error({ err }, 'webhook delivery not started on this gateway');
          return null;
        });

  const escalations =
    opts.escalationRouting === false
      ? null
      : await startEscalationRouter({
          bus,
          webhooks: await openWebhookBucket(nc),
          log: app.log,
          metrics,
        }).catch((err: unknown) => {
          app.log.error({ err }, 'escalation routing not started on this gateway');
          return null;
        });

  return {
    app,
    ctx,
    async close() {
      await app.close();
      await escalations?.stop();
      await replay.stop();
      await webhooks?.stop();
      await usage.stop();
      await boards.stop();
      await invoices.stop();
      await bus.close();
      await revocations.stop();
      await tenancy.stop();
      await provisioning.stop();
      if (ownsConnection) await nc.close();
    },
  };
}
