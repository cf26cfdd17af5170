/**
 * Where one workspace's backups live in the configured store: every key of a workspace's backup
 * (manifests, database snapshots, log segments, file blobs) sits under
 * `workspaces/<org>/<ws>/`, so one store (one bucket, one shared directory) holds every
 * workspace's backups and a node that takes a workspace over finds them by name alone. The backup
 * side (the backup actor, `moe backup`) and the restore side (restore on takeover,
 * restoreOnTakeover.ts) both go through this file, never through a key prefix of their own.
 *
 * `org` and `ws` are subject tokens (TOKEN_PATTERN), so they never name `..` or a separator.
 *
 * @example
 *   const store = workspaceStore(storeFromEnv(), 'acme', 'main');
 *   await backupWorkspace(store, { dir, workspace: { org: 'acme', ws: 'main' } });
 *   await latestBackup(store); // the same backup, seen from any node sharing the store
 */
import type { ObjectStore } from '../../storage/index.js';

/** The key prefix (no trailing '/') of one workspace's backups: `workspaces/<org>/<ws>`. */
export function workspaceBackupPrefix(org: string, ws: string): string {
  return `workspaces/${org}/${ws}`;
}

/** A view of `store` whose keys are relative to {@link workspaceBackupPrefix}. */
export function workspaceStore(store: ObjectStore, org: string, ws: string): ObjectStore {
  const prefix = `${workspaceBackupPrefix(org, ws)}/`;
  return {
    url: `${store.url.replace(/\/+$/, '')}/${prefix}`,
    put: (key, body, options) => store.put(prefix + key, body, options),
    get: (key, options) => store.get(prefix + key, options),
    getStream: (key, options) => store.getStream(prefix + key, options),
    head: (key) => store.head(prefix + key),
    async *list(p = '') {
      for await (const e of store.list(prefix + p)) yield { ...e, key: e.key.slice(prefix.length) };
    },
    delete: (key) => store.delete(prefix + key),
  };
}
