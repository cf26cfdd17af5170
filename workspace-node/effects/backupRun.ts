/**
 * The `backup.run` effect of the backup actor (actors/backup.machine.ts): snapshot and upload the
 * workspace with the backup library (workspace-node/backup/) into the node's store, under the
 * workspace's prefix (workspaceStore.ts). Skipped, without touching the store, when the
 * workspace's activity sequence — the newest journal sequence any actor other than the backup
 * actor has applied (sessions.db `actors`) — is the one the last backup had (`skipIfSeq`): the
 * backup actor's own turns are not activity, or every backup would make the next one necessary.
 */
import type Database from 'better-sqlite3';
import type { EffectHandlerOf } from '../../actors/kernel/index.js';
import type { BackupRunResult } from '../../actors/index.js';
import type { ObjectStore } from '../../storage/index.js';
import { backupWorkspace } from '../backup/backupWorkspace.js';
import { workspaceStore } from '../backup/workspaceStore.js';
import type { SqliteCluster } from '../sqliteCluster.js';

export interface BackupRunDeps {
  /** the node's store (primary, or primary + mirror); opened when first needed */
  readonly store: () => ObjectStore;
  /** the workspace directory (`db/`, `sessions/`) */
  readonly dir: string;
  /** the workspace files: `<dir>/files`, or under the shared files root (MOE_FILES_ROOT) */
  readonly filesDir: string;
  readonly cluster: SqliteCluster;
}

/** The newest journal sequence any actor but the backup actor has applied; 0 when none has. */
export function activitySeq(sessions: Database.Database): number {
  const row = sessions
    .prepare("SELECT COALESCE(MAX(last_seq), 0) AS seq FROM actors WHERE kind <> 'backup'")
    .get() as { seq: number };
  return row.seq;
}

export function backupRunHandler(deps: BackupRunDeps): EffectHandlerOf<'backup.run'> {
  return async ({ address, effect }): Promise<BackupRunResult> => {
    const seq = activitySeq(deps.cluster.sessions);
    if (effect.skipIfSeq !== null && seq === effect.skipIfSeq) return { skipped: true, activitySeq: seq };
    const store = workspaceStore(deps.store(), address.org, address.ws);
    const { manifest, uploaded } = await backupWorkspace(store, {
      dir: deps.dir,
      filesDir: deps.filesDir,
      databases: deps.cluster,
      workspace: { org: address.org, ws: address.ws },
    });
    return {
      skipped: false,
      activitySeq: seq,
      backupId: manifest.backupId,
      journalSeq: manifest.journalSeq,
      objects: manifest.objects.length,
      bytes: manifest.objects.reduce((n, o) => n + o.size, 0),
      uploaded: uploaded.databases + uploaded.segments + uploaded.blobs + 1,
      createdAt: Date.parse(manifest.createdAt),
    };
  };
}
