/**
 * Where the leading supervisor records an actor its restart policy gave up on (`stop` or
 * `escalate`): KV `moe_stopped_actors`, key = the actor's address (schemas/stoppedActors.ts).
 * Workspace-nodes watch the bucket and refuse the actor's later commands; an operator's restart
 * from the console deletes the record.
 */
import type { KV } from '@nats-io/kv';
import type { StoppedActor } from '../schemas/index.js';

export interface StoppedActorStore {
  /** records actor `<org>.<ws>.<kind>.<id>` as stopped */
  put(actor: string, record: StoppedActor): Promise<void>;
}

/** In the process only (a supervisor's unit tests): nothing is refused anywhere. */
export function memoryStoppedActors(): StoppedActorStore & { readonly records: Map<string, StoppedActor> } {
  const records = new Map<string, StoppedActor>();
  return { records, put: async (a, r) => void records.set(a, r) };
}

export function kvStoppedActors(kv: KV): StoppedActorStore {
  return {
    async put(actor, record) {
      await kv.put(actor, JSON.stringify(record));
    },
  };
}
