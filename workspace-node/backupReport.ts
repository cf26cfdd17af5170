/**
 * The backup part of a node's heartbeat (schemas/nodeHeartbeat.ts), per hosted workspace: what its
 * backup actor knows (last good backup, last verification, last failure: read from the actor's
 * snapshot in `sessions.db`, actors/backupStatus.ts), how many of the workspace's objects one copy
 * of a primary + mirror store still lacks and since when (the mirror lag), and the last restore on
 * takeover. Read on every heartbeat: one indexed row, and the store's in-memory pending list.
 */
import type Database from 'better-sqlite3';
import { BACKUP_ACTOR_ID, backupStatusOf, type BackupContext } from '../actors/index.js';
import { addressKey, type WorkspaceBackupReport } from '../schemas/index.js';
import { MirroredStore, type ObjectStore } from '../storage/index.js';
import { workspaceBackupPrefix } from './backup/workspaceStore.js';

export type RestoreReport = NonNullable<WorkspaceBackupReport['restore']>;

export interface BackupReportSources {
  readonly org: string;
  readonly ws: string;
  readonly sessions: Database.Database;
  /** the node's backup store, when it was opened */
  readonly store: ObjectStore | undefined;
  readonly restore: RestoreReport | undefined;
}

/** The backup actor's persisted context, if it ever ran here. */
function backupContext(sessions: Database.Database, org: string, ws: string): BackupContext | undefined {
  const key = addressKey({ org, ws, kind: 'backup', id: BACKUP_ACTOR_ID });
  const row = sessions
    .prepare<[string], { snapshot: string }>('SELECT snapshot FROM actors WHERE key = ?')
    .get(key);
  if (!row) return undefined;
  return (JSON.parse(row.snapshot) as { context?: BackupContext }).context;
}

/** How far each copy is behind on this workspace's objects (only a primary + mirror store can be). */
function lag(store: ObjectStore | undefined, org: string, ws: string) {
  const pending = { mirror: 0, primary: 0 };
  let behindSince: number | null = null;
  if (!(store instanceof MirroredStore)) return { pending, behindSince };
  const prefix = `${workspaceBackupPrefix(org, ws)}/`;
  for (const p of store.pending()) {
    if (!p.key.startsWith(prefix)) continue;
    pending[p.target]++;
    behindSince = Math.min(behindSince ?? p.since, p.since);
  }
  return { pending, behindSince };
}

export function backupReport(s: BackupReportSources): WorkspaceBackupReport {
  return {
    ...backupStatusOf(backupContext(s.sessions, s.org, s.ws)),
    ...lag(s.store, s.org, s.ws),
    restore: s.restore ?? null,
  };
}
