/**
 * Where one workspace's backups live in the configured store: under the key prefix
 * `<org>/<ws>/` (so `manifests/…`, `blobs/…` of workspace acme/main are `acme/main/manifests/…`).
 * {@link workspaceBackupStore} is that store as seen by the backup library, which writes relative
 * keys only.
 */
import type { ObjectStore } from '../../storage/index.js';
import { PrefixedStore } from './prefixedStore.js';

/** The key prefix of one workspace's backups: `<org>/<ws>/`. */
export function workspaceBackupPrefix(org: string, ws: string): string {
  return `${org}/${ws}/`;
}

/** The configured store narrowed to one workspace's prefix. */
export function workspaceBackupStore(store: ObjectStore, org: string, ws: string): ObjectStore {
  return new PrefixedStore(store, workspaceBackupPrefix(org, ws));
}
