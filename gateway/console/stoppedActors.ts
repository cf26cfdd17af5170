/**
 * The console's stopped actors: the actors a restart policy gave up on (`stop` or `escalate`),
 * from KV `moe_stopped_actors` (schemas/stoppedActors.ts; written by the leading supervisor), and
 * the operator's restart: delete the record (the workspace-nodes, which watch the bucket, run the
 * actor's next command again) and the actor's restart history in KV `moe_nodes`, so it starts
 * with a fresh set of restarts. The letters refused while it was stopped stay in the dead-letter
 * desk, to be redriven.
 *
 * An escalated actor's row also says how the gateways routed it (KV `moe_escalations`, written by
 * escalationRouter.ts): to its coordinators, to the org admins' webhooks, or still routing.
 */
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  KV_BUCKETS,
  parseActorSubject,
  parseStoppedActor,
  restartHistoryKey,
  TENANCY_WS,
  type ActorAddress,
  type StoppedActor,
} from '../../schemas/index.js';
import { errors } from '../errors.js';
import { escalationId } from '../escalationRouter.js';

/** How an escalation was routed (null: not routed here: `stop`, `operators`, or not yet seen). */
export interface EscalationRouting {
  readonly state: 'routing' | 'routed';
  readonly routedTo?: 'org-admin' | 'coordinator';
  readonly coordinators?: readonly string[];
  readonly endpoints?: number;
}

export interface StoppedActorRow extends StoppedActor {
  /** `<org>.<ws>.<kind>.<id>` */
  readonly actor: string;
  readonly org: string;
  readonly ws: string;
  readonly kind: string;
  readonly id: string;
  readonly routing: EscalationRouting | null;
}

/** The address of `<org>.<ws>.<kind>.<id>` (null: not one). */
export function actorOfKey(key: string): ActorAddress | null {
  return parseActorSubject(`moe.cmd.${key}`);
}

export class StoppedActorDesk {
  private stopped: Promise<KV> | undefined;
  private nodes: Promise<KV> | undefined;
  private markers: Promise<KV> | undefined;

  constructor(private readonly nc: NatsConnection) {}

  private bucket(): Promise<KV> {
    this.stopped ??= new Kvm(this.nc).create(KV_BUCKETS.stoppedActors, { history: 1 }).catch((err) => {
      this.stopped = undefined;
      throw err;
    });
    return this.stopped;
  }

  /** The escalation markers' bucket (created by the gateways' router; absent: none routed yet). */
  private escalations(): Promise<KV> {
    this.markers ??= new Kvm(this.nc).open(KV_BUCKETS.escalations).catch((err) => {
      this.markers = undefined;
      throw err;
    });
    return this.markers;
  }

  private async routingOf(key: string, rec: StoppedActor): Promise<EscalationRouting | null> {
    if (rec.action !== 'escalate' || rec.to === undefined || rec.to === 'operators') return null;
    const kv = await this.escalations().catch(() => null);
    const e = await kv?.get(escalationId(key, rec.at)).catch(() => null);
    if (!e || e.operation !== 'PUT') return null;
    const m = e.json<EscalationRouting>();
    return {
      state: m.state,
      ...(m.routedTo ? { routedTo: m.routedTo } : {}),
      ...(m.coordinators ? { coordinators: m.coordinators } : {}),
      ...(m.endpoints !== undefined ? { endpoints: m.endpoints } : {}),
    };
  }

  private history(): Promise<KV> {
    this.nodes ??= new Kvm(this.nc).open(KV_BUCKETS.nodes).catch((err) => {
      this.nodes = undefined;
      throw err;
    });
    return this.nodes;
  }

  /** The stopped actors of the orgs `sees` accepts, newest first. */
  async list(sees: (org: string) => boolean): Promise<StoppedActorRow[]> {
    const kv = await this.bucket();
    const out: StoppedActorRow[] = [];
    for await (const key of await kv.keys()) {
      const a = actorOfKey(key);
      if (!a || !sees(a.org)) continue;
      const e = await kv.get(key);
      const rec = e && e.operation === 'PUT' ? parseStoppedActor(e.value) : null;
      if (rec)
        out.push({
          ...rec,
          actor: key,
          org: a.org,
          ws: a.ws,
          kind: a.kind,
          id: a.id,
          routing: await this.routingOf(key, rec),
        });
    }
    return out.sort((a, b) => b.at - a.at);
  }

  /** One stopped actor, or 404 (also for an org `sees` refuses: what it may not see does not exist). */
  async get(key: string, sees: (org: string) => boolean): Promise<StoppedActorRow> {
    const a = actorOfKey(key);
    if (!a || a.ws === TENANCY_WS || !sees(a.org)) throw errors.NOT_FOUND(`stopped actor ${key}`);
    const e = await (await this.bucket()).get(key);
    const rec = e && e.operation === 'PUT' ? parseStoppedActor(e.value) : null;
    if (!rec) throw errors.NOT_FOUND(`stopped actor ${key}`);
    return { ...rec, actor: key, org: a.org, ws: a.ws, kind: a.kind, id: a.id, routing: null };
  }

  /** Lets the actor run again: its stop record and its restart history are deleted. */
  async restart(row: StoppedActorRow): Promise<void> {
    await (await this.history()).delete(restartHistoryKey(row.actor));
    await (await this.bucket()).delete(row.actor);
  }
}
