/**
 * Fault injection for chaos tests, off unless its environment variable is set. It lets a test
 * kill the node at a precise point that a timed `kill -9` can only hit by luck:
 *
 *   MOE_FAULT_KILL_AFTER_OUTCOME=<effect kind>   SIGKILL the node right after the first outcome of
 *                                                that kind (`tool.run`, `llm.call`) is recorded
 *                                                and before its result is published
 *   MOE_FAULT_KILL_DURING_BACKUP_UPLOAD=<n>      SIGKILL the node right after the n-th object of a
 *                                                backup (not a manifest) is stored: mid-upload,
 *                                                before the manifest is written
 *   MOE_FAULT_KILL_DURING_INVOICE=1              SIGKILL the node mid-`invoice.issue`, once per data
 *                                                dir (billing/invoiceFault.ts)
 *   MOE_FAULT_KILL_AFTER_ALERT_MARK=1            SIGKILL the node right after a settlement marked a
 *                                                budget alert in KV and before it is published
 *
 * Never set them in production: the node kills itself.
 */
import type { ObjectStore } from '../storage/index.js';

/** The hook to pass as `afterOutcomeRecorded`, or undefined when no fault is configured. */
export function killAfterOutcome(env: NodeJS.ProcessEnv): ((kind: string) => void) | undefined {
  const kind = env.MOE_FAULT_KILL_AFTER_OUTCOME?.trim();
  if (!kind) return undefined;
  return (recorded) => {
    if (recorded === kind) process.kill(process.pid, 'SIGKILL');
  };
}

/**
 * The node's backup store, wrapped to SIGKILL the node after the n-th object put that is not a
 * manifest (`…manifests/…`) when MOE_FAULT_KILL_DURING_BACKUP_UPLOAD=<n> is set; else `store`.
 */
export function killDuringBackupUpload(env: NodeJS.ProcessEnv, store: ObjectStore): ObjectStore {
  const n = Number(env.MOE_FAULT_KILL_DURING_BACKUP_UPLOAD?.trim() || NaN);
  if (!Number.isInteger(n) || n < 1) return store;
  let stored = 0;
  return {
    url: store.url,
    put: async (key, body, options) => {
      const info = await store.put(key, body, options);
      if (!key.includes('manifests/') && ++stored >= n) process.kill(process.pid, 'SIGKILL');
      return info;
    },
    get: (key, options) => store.get(key, options),
    getStream: (key, options) => store.getStream(key, options),
    head: (key) => store.head(key),
    list: (prefix) => store.list(prefix),
    delete: (key) => store.delete(key),
  };
}

/** The limiter's `afterAlertMarked` hook (MOE_FAULT_KILL_AFTER_ALERT_MARK=1), or undefined. */
export function killAfterAlertMark(env: NodeJS.ProcessEnv): (() => void) | undefined {
  if (env.MOE_FAULT_KILL_AFTER_ALERT_MARK?.trim() !== '1') return undefined;
  return () => process.kill(process.pid, 'SIGKILL');
}
