/**
 * Freed placement leases, as they happen: a KV watch on `moe_placement` that reports a workspace
 * whose lease was released (deleted on a clean stop) or expired (the supervisor rewrote a dead
 * node's lease with `until: 0`). A node waiting for that workspace takes it at once instead of at
 * its next heartbeat — the last step of failover (docs/operations.md, Failover).
 */
import { KvWatchInclude, type KV } from '@nats-io/kv';

/** A lease value as far as this watch needs it (placement.ts writes `{node, epoch, until}`). */
interface LeaseUntil {
  until?: unknown;
}

/**
 * Calls `onFree(org, ws)` for each lease freed from now on; returns a function that stops watching.
 *
 * @example
 *   const stop = await watchFreedLeases(placementKv, () => Date.now(), (org, ws) => void host(org, ws));
 */
export async function watchFreedLeases(
  kv: KV,
  now: () => number,
  onFree: (org: string, ws: string) => void,
): Promise<() => void> {
  const iter = await kv.watch({ include: KvWatchInclude.UpdatesOnly });
  void (async () => {
    for await (const e of iter) {
      const dot = e.key.indexOf('.');
      if (dot <= 0) continue;
      let free = e.operation !== 'PUT';
      if (!free) {
        try {
          const until = e.json<LeaseUntil>().until;
          free = typeof until === 'number' && until <= now();
        } catch {
          free = false;
        }
      }
      if (free) onFree(e.key.slice(0, dot), e.key.slice(dot + 1));
    }
  })().catch(() => undefined);
  return () => iter.stop();
}
