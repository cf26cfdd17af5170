/**
 * The console's stopped actors: the actors a restart policy gave up on (`stop` or `escalate`),
 * from KV `moe_stopped_actors` (schemas/stoppedActors.ts; written by the leading supervisor), and
 * the operator's restart: delete the record (the workspace-nodes, which watch the bucket, run the
 * actor's next command again) and the actor's restart history in KV `moe_nodes`, so it starts
 * with a fresh set of restarts. The letters refused while it was stopped stay in the dead-letter
 * desk, to be redriven.
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

export interface StoppedActorRow extends StoppedActor {
  /** `<org>.<ws>.<kind>.<id>` */
  readonly actor: string;
  readonly org: string;
  readonly ws: string;
  readonly kind: string;
  readonly id: string;
}

/** The address of `<org>.<ws>.<kind>.<id>` (null: not one). */
export function actorOfKey(key: string): ActorAddress | null {
  return parseActorSubject(`moe.cmd.${key}`);
}

export class StoppedActorDesk {
  private stopped: Promise<KV> | undefined;
  private nodes: Promise<KV> | undefined;

  constructor(private readonly nc: NatsConnection) {}

  private bucket(): Promise<KV> {
    this.stopped ??= new Kvm(this.nc).create(KV_BUCKETS.stoppedActors, { history: 1 }).catch((err) => {
      this.stopped = undefined;
      throw err;
    });
    return this.stopped;
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
      if (rec) out.push({ ...rec, actor: key, org: a.org, ws: a.ws, kind: a.kind, id: a.id });
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
    return { ...rec, actor: key, org: a.org, ws: a.ws, kind: a.kind, id: a.id };
  }

  /** Lets the actor run again: its stop record and its restart history are deleted. */
  async restart(row: StoppedActorRow): Promise<void> {
    await (await this.history()).delete(restartHistoryKey(row.actor));
    await (await this.bucket()).delete(row.actor);
  }
}
