/**
 * Where a workspace's files (the agents' working tree) live. By default under the node's data dir,
 * next to its SQLite cluster and session logs: `<dataDir>/workspaces/<org>/<ws>/files`
 * (workspaceHost.ts). With MOE_FILES_ROOT set — a directory every node mounts, e.g. a gcsfuse
 * mount through the GKE GCS FUSE CSI driver — they live at `<filesRoot>/<org>/<ws>/files`, shared
 * by every node, so a node that takes a workspace over finds its files there without restoring
 * them. Only files go there: the data dir itself must not be on FUSE (dataDirFs.ts).
 *
 * `org` and `ws` are subject tokens (TOKEN_PATTERN), so they never name `..` or a separator.
 *
 * @example
 *   sharedFilesDir('/mnt/moe-files', 'acme', 'main'); // → /mnt/moe-files/acme/main/files
 */
import { resolve } from 'node:path';

/** The files root of one workspace under a shared MOE_FILES_ROOT. */
export function sharedFilesDir(filesRoot: string, org: string, ws: string): string {
  return resolve(filesRoot, org, ws, 'files');
}
