/**
 * Routes escalations to their target. When a restart policy gives up with `escalate`, the leading
 * supervisor writes the stop record (KV `moe_stopped_actors`, schemas/stoppedActors.ts) with its
 * target `to`; every gateway follows that bucket with a KV watch (durable: a record written while
 * no gateway ran is read when one starts) and routes each `escalate` record once:
 *
 * - `org-admin`: an `actor.escalated` webhook to the org's endpoints that take that event type,
 *   queued on MOE_WEBHOOKS like the budget alerts (webhooks/webhookQueue.ts: signed, retried,
 *   dead-lettered, in the delivery log);
 * - `coordinator`: an `escalation.notice` command to the failed agent's coordinator when it still
 *   runs, else to every running coordinator of the workspace (at most 20, escalationTargets.ts);
 *   none runs → the org-admin webhook, with `routedTo: "org-admin"`;
 * - `operators`: nothing here (the supervisor's MOE_ESCALATION_WEBHOOK_URL and the console).
 *
 * Once across gateways: the escalation's id is a hash of the record's key and its `at`, the same
 * on every gateway. A gateway claims it in KV `moe_escalations` (key = the id; compare-and-set),
 * routes it, and marks it `routed`; the others, and a gateway that starts later, see the claim or
 * the mark and do nothing. A claim left `routing` for {@link STALE_CLAIM_MS} (its gateway died
 * midway) is taken over; a route done twice so is still delivered once, because every delivery
 * carries a key derived from the id: the webhook job's Nats-Msg-Id and delivery record
 * (`dl.<org>.<endpoint>.<id>`), and the command id `esc.<id>` the kernel applies once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Kvm, type KV } from '@nats-io/kv';
import type { FastifyBaseLogger } from 'fastify';
import { followKv, kvCas } from '../actors/kernel/index.js';
import {
  addressKey,
  KV_BUCKETS,
  parseActorSubject,
  parseStoppedActor,
  TENANCY_WS,
  type ActorAddress,
  type EscalationNotice,
  type EscalationTarget,
  type StoppedActor,
} from '../schemas/index.js';
import type { Bus } from './bus.js';
import type { GatewayMetrics } from './metrics.js';
import { coordinatorsFor } from './escalationTargets.js';
import { ensureWebhookStream, queueWebhook, WebhookStore } from './webhooks/index.js';

/** A claim older than this whose gateway did not mark it routed is taken over (ms). */
export const STALE_CLAIM_MS = 60_000;
/** How long the markers are kept: a stop record older than that may be routed again (deduped). */
export const ESCALATION_MARKER_TTL_MS = 30 * 24 * 3600_000;

/** The escalation's id: the same on every gateway for one stop record (a KV key and a token). */
export function escalationId(actorKey: string, at: number): string {
  return `e${createHash('sha256').update(`${actorKey}@${at}`).digest('hex').slice(0, 32)}`;
}

/** The `actor.escalated` webhook body (docs/api.md, "Webhooks"). */
export interface EscalatedWebhook {
  readonly type: 'actor.escalated';
  readonly id: string;
  readonly org: string;
  readonly ws: string;
  readonly actor: ActorAddress;
  /** the policy's target */
  readonly to: EscalationTarget;
  /** who was told: `org-admin` (also for `coordinator` when no coordinator runs) */
  readonly routedTo: 'org-admin';
  readonly code: string;
  readonly reason: string;
  readonly commandId: string | null;
  readonly restarts: number;
  /** when the supervisor stopped the actor, epoch ms */
  readonly at: number;
  readonly decidedBy: string;
}

/** The marker in `moe_escalations`: claimed (`routing`) or done (`routed`). */
interface Marker {
  readonly state: 'routing' | 'routed';
  readonly actor: string;
  readonly at: number;
  readonly to: EscalationTarget;
  readonly by: string;
  readonly claimedAt: number;
  readonly routedTo?: 'org-admin' | 'coordinator';
  /** `coordinator`: the coordinators told */
  readonly coordinators?: readonly string[];
  /** `org-admin`: the endpoints that take `actor.escalated` */
  readonly endpoints?: number;
}

export interface EscalationRouterOptions {
  readonly bus: Bus;
  /** the `moe_webhooks` bucket (endpoints and the delivery log) */
  readonly webhooks: KV;
  readonly log: FastifyBaseLogger;
  /** counts each escalation handled (`moe_escalations_total`) */
  readonly metrics?: Pick<GatewayMetrics, 'escalations'>;
  readonly now?: () => number;
  /** this router in the claims (default: host, pid and a random suffix) */
  readonly id?: string;
  readonly staleClaimMs?: number;
}

export interface EscalationRouter {
  stop(): Promise<void>;
}

const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** @example const router = await startEscalationRouter({ bus, webhooks: await openWebhookBucket(nc), log }); */
export async function startEscalationRouter(o: EscalationRouterOptions): Promise<EscalationRouter> {
  const now = o.now ?? Date.now;
  const me = o.id ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const staleMs = o.staleClaimMs ?? STALE_CLAIM_MS;
  const kvm = new Kvm(o.bus.nc);
  const stopped = await kvm.create(KV_BUCKETS.stoppedActors, { history: 1 });
  const markers = await kvm.create(KV_BUCKETS.escalations, { history: 1, ttl: ESCALATION_MARKER_TTL_MS });
  await ensureWebhookStream(o.bus.jsm);
  const store = new WebhookStore(o.webhooks);
  const timers = new Set<NodeJS.Timeout>();
  /** escalations this router routed, or saw routed */
  const done = new Set<string>();
  let chain: Promise<void> = Promise.resolve();
  let closed = false;

  async function toOrgAdmins(id: string, actor: ActorAddress, rec: StoppedActor, to: EscalationTarget) {
    const body: EscalatedWebhook = {
      type: 'actor.escalated',
      id,
      org: actor.org,
      ws: actor.ws,
      actor,
      to,
      routedTo: 'org-admin',
      code: rec.code,
      reason: rec.reason,
      commandId: rec.commandId,
      restarts: rec.restarts,
      at: rec.at,
      decidedBy: rec.decidedBy,
    };
    const endpoints = await queueWebhook(
      o.bus.js,
      store,
      { org: actor.org, eventId: id, eventType: body.type, body: JSON.stringify(body) },
      now(),
    );
    if (endpoints === 0)
      o.log.warn(
        { actor: addressKey(actor), escalation: id },
        'escalation to the org admins: the org has no webhook endpoint taking actor.escalated',
      );
    return { routedTo: 'org-admin' as const, endpoints };
  }

  async function toCoordinators(id: string, actor: ActorAddress, rec: StoppedActor) {
    const targets = await coordinatorsFor(o.bus, actor);
    const data: EscalationNotice = {
      escalation: id,
      actor: addressKey(actor),
      code: cut(rec.code, 200),
      reason: cut(rec.reason, 2000),
      commandId: rec.commandId === null ? null : cut(rec.commandId, 200),
      restarts: rec.restarts,
      at: rec.at,
    };
    for (const c of targets) await o.bus.publish(c, 'escalation.notice', { ...data }, { id: `esc.${id}` });
    return { routedTo: 'coordinator' as const, coordinators: targets.map(addressKey) };
  }

  /** Claims the escalation; true when this router is to route it now. */
  async function claim(id: string, key: string, rec: StoppedActor, to: EscalationTarget): Promise<boolean> {
    const at = now();
    const m = await kvCas<Marker>(markers, id, (cur) => {
      if (cur && (cur.state === 'routed' || at - cur.claimedAt < staleMs)) return cur;
      return { state: 'routing', actor: key, at: rec.at, to, by: me, claimedAt: at };
    });
    if (m.state === 'routed') done.add(id);
    else if (m.by !== me || m.claimedAt !== at) recheck(key, rec.at, staleMs);
    return m.state === 'routing' && m.by === me && m.claimedAt === at;
  }

  /** Looks at the actor's stop record again after `ms` (a claim of another gateway may go stale). */
  function recheck(key: string, at: number, ms: number) {
    const timer = setTimeout(() => {
      timers.delete(timer);
      void stopped
        .get(key)
        .then((e) => {
          const rec = e && e.operation === 'PUT' ? parseStoppedActor(e.value) : null;
          if (rec && rec.at === at) onRecord(key, rec);
        })
        .catch((err: unknown) => o.log.warn({ err, actor: key }, 'escalation recheck failed'));
    }, ms + 100);
    timer.unref();
    timers.add(timer);
  }

  async function route(key: string, rec: StoppedActor): Promise<void> {
    const to = rec.to;
    const actor = parseActorSubject(`moe.cmd.${key}`);
    if (closed || rec.action !== 'escalate' || !actor || actor.ws === TENANCY_WS) return;
    // operators (and records written before the target was kept): the supervisor alerted them
    if (to === undefined || to === 'operators') return;
    const id = escalationId(key, rec.at);
    if (done.has(id) || !(await claim(id, key, rec, to))) return;
    let outcome;
    try {
      outcome =
        to === 'coordinator' ? await toCoordinators(id, actor, rec) : await toOrgAdmins(id, actor, rec, to);
      if (outcome.routedTo === 'coordinator' && outcome.coordinators.length === 0)
        outcome = await toOrgAdmins(id, actor, rec, to);
    } catch (err) {
      // the claim stays `routing`: taken over (by this router too) once stale
      recheck(key, rec.at, staleMs);
      o.metrics?.escalations.inc({ to, routed_to: 'none', outcome: 'failed' });
      throw err;
    }
    await kvCas<Marker>(markers, id, (cur) => ({
      ...(cur ?? { actor: key, at: rec.at, to, by: me, claimedAt: now() }),
      ...outcome,
      state: 'routed',
    }));
    done.add(id);
    o.metrics?.escalations.inc({ to, routed_to: outcome.routedTo, outcome: 'routed' });
    o.log.warn({ actor: key, escalation: id, to, ...outcome }, 'escalation routed');
  }

  function onRecord(key: string, rec: StoppedActor) {
    chain = chain
      .then(() => route(key, rec))
      .catch((err: unknown) => o.log.error({ err, actor: key }, 'escalation not routed'));
  }

  // every record stored now, then every change: one written while no gateway ran is routed too
  const follow = await followKv(
    stopped,
    (e) => {
      if (e.operation !== 'PUT') return;
      const rec = parseStoppedActor(e.value);
      if (rec?.action === 'escalate') onRecord(e.key, rec);
    },
    o.log,
    'escalation routing',
  );

  return {
    async stop() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      follow.stop();
      await chain;
    },
  };
}
