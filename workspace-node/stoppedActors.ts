/**
 * The node's copy of the `moe_stopped_actors` KV bucket (schemas/stoppedActors.ts): which actors a
 * restart policy stopped, answered from memory so the check before each turn costs no NATS round
 * trip. Opened before the node hosts anything: the bucket's records are read first (a record
 * written while no node ran is known at start), then a KV watch keeps the copy current — a stop
 * decided by the supervisor, or an operator's restart (the record deleted). Each key keeps the
 * revision it was last set from, so the start-up read and the watch may overlap in any order.
 *
 * Staleness: a command delivered between the supervisor's write and the watch's delivery (a few
 * milliseconds) still gets its turn; a watch that ends is restarted.
 */
import type { KV } from '@nats-io/kv';
import type { Logger } from 'pino';
import { followKv } from '../actors/kernel/index.js';
import { parseStoppedActor, type StoppedActor } from '../schemas/index.js';

export interface StoppedActors {
  /** the stop record of actor `<org>.<ws>.<kind>.<id>` (undefined: it runs) */
  get(actor: string): StoppedActor | undefined;
  /** the reason a dead letter gives for refusing its command (undefined: it runs) */
  why(actor: string): string | undefined;
  readonly size: number;
  stop(): void;
}

/** The text of MOE_ERR_ACTOR_STOPPED's reason for a stop record. */
export function stoppedReason(actor: string, r: StoppedActor): string {
  return (
    `${actor} was stopped by its restart policy (${r.action} after ${r.restarts} restarts, ` +
    `${r.code}: ${r.reason}; decided by supervisor ${r.decidedBy} at ${new Date(r.at).toISOString()})`
  );
}

export async function openStoppedActors(kv: KV, log: Logger): Promise<StoppedActors> {
  const records = new Map<string, { rev: number; rec: StoppedActor | null }>();
  const apply = (key: string, rev: number, value: Uint8Array | null) => {
    const known = records.get(key);
    if (known && known.rev >= rev) return;
    records.set(key, { rev, rec: value ? parseStoppedActor(value) : null });
  };
  const follow = await followKv(
    kv,
    (e) => apply(e.key, e.revision, e.operation === 'PUT' ? e.value : null),
    log,
    'stopped actors',
  );
  // everything stored now, before the node hosts a workspace (the watch may not have delivered it yet)
  for await (const key of await kv.keys()) {
    const e = await kv.get(key);
    if (e) apply(key, e.revision, e.operation === 'PUT' ? e.value : null);
  }
  const get = (actor: string) => records.get(actor)?.rec ?? undefined;
  return {
    get,
    why(actor) {
      const r = get(actor);
      return r ? stoppedReason(actor, r) : undefined;
    },
    get size() {
      let n = 0;
      for (const v of records.values()) if (v.rec) n++;
      return n;
    },
    stop: () => follow.stop(),
  };
}
