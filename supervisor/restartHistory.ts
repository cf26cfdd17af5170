/**
 * Where the restart policies' history lives (actorSupervision.ts): per actor, when it was
 * restarted within its policy's window. Kept in KV `moe_nodes` under
 * `_supervisor.restarts.<org>.<ws>.<kind>.<id>` (membership.ts skips the `_supervisor.` keys), not
 * in the leader's memory, so a supervisor that becomes leader goes on counting where the old
 * leader stopped: a failover never grants an actor a fresh set of restarts.
 */
import type { KV } from '@nats-io/kv';
import { RESTART_HISTORY_KEY_PREFIX } from '../schemas/index.js';

/** `_supervisor.restarts.` (membership.ts skips the `_supervisor.` keys) */
export const RESTARTS_KEY_PREFIX = RESTART_HISTORY_KEY_PREFIX;

export interface RestartHistoryStore {
  /** the restart times of an actor (epoch ms); empty when none */
  get(actor: string): Promise<number[]>;
  set(actor: string, times: readonly number[]): Promise<void>;
  delete(actor: string): Promise<void>;
}

/** In the process only (a supervisor's tests; a leader change forgets it). */
export function memoryRestartHistory(): RestartHistoryStore {
  const m = new Map<string, number[]>();
  return {
    get: async (a) => [...(m.get(a) ?? [])],
    set: async (a, t) => void m.set(a, [...t]),
    delete: async (a) => void m.delete(a),
  };
}

/** In KV (`moe_nodes`), shared by every supervisor. */
export function kvRestartHistory(kv: KV): RestartHistoryStore {
  const key = (actor: string) => `${RESTARTS_KEY_PREFIX}${actor}`;
  return {
    async get(actor) {
      const e = await kv.get(key(actor));
      if (!e || e.operation !== 'PUT' || e.value.length === 0) return [];
      try {
        const v = e.json<unknown>();
        return Array.isArray(v) ? v.filter((t): t is number => typeof t === 'number') : [];
      } catch {
        return [];
      }
    },
    async set(actor, times) {
      await kv.put(key(actor), JSON.stringify(times));
    },
    async delete(actor) {
      await kv.delete(key(actor));
    },
  };
}
