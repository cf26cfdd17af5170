/**
 * Follows a KV bucket for as long as the process needs it: a watch that first delivers every key's
 * last value, then every change, and that is started again (after `rewatchMs`) whenever it ends —
 * a consumer lost on the server, a reconnect that did not resume it. A restarted watch delivers the
 * last values again, so `onEntry` must take a value it has seen before (compare revisions, or be
 * idempotent). `stop()` ends the watch and any pending restart. Used by the node's copy of the
 * stopped actors (workspace-node/stoppedActors.ts) and the gateway's escalation router.
 */
import { KvWatchInclude, type KV, type KvWatchEntry } from '@nats-io/kv';

/** how long after a watch ended it is started again, by default (ms) */
export const KV_REWATCH_MS = 1000;

export interface KvFollow {
  stop(): void;
}

/**
 * @example
 *   const follow = await followKv(kv, (e) => apply(e.key, e.revision, e.value), log, 'stopped actors');
 *   follow.stop();
 */
export async function followKv(
  kv: KV,
  onEntry: (e: KvWatchEntry) => void,
  log: { warn(obj: object, msg: string): void },
  what: string,
  rewatchMs = KV_REWATCH_MS,
): Promise<KvFollow> {
  let stopped = false;
  let watch: Awaited<ReturnType<KV['watch']>> | undefined;
  let restart: NodeJS.Timeout | undefined;
  const start = async (): Promise<void> => {
    const w = await kv.watch({ include: KvWatchInclude.LastValue });
    watch = w;
    if (stopped) w.stop();
    void (async () => {
      for await (const e of w) onEntry(e);
    })()
      .catch((err: unknown) => log.warn({ err }, `${what}: KV watch failed`))
      .finally(() => {
        if (stopped) return;
        restart = setTimeout(() => void start().catch(() => undefined), rewatchMs);
        restart.unref();
      });
  };
  await start();
  return {
    stop() {
      stopped = true;
      clearTimeout(restart);
      watch?.stop();
    },
  };
}
