/**
 * Local state other nodes have moved past: a node comes back with a workspace directory from
 * before other nodes hosted the workspace, backed it up and purged the journal behind their
 * backups. Its snapshots can then neither catch up (the entries in between are gone:
 * MOE_ERR_JOURNAL_PURGED) nor be trusted with their pending effects (the other nodes re-drove
 * them already). Such a directory is set aside and the workspace restored from its latest backup,
 * as on a takeover (restoreOnTakeover.ts).
 *
 * Detected cheaply on every hosting with local state: one direct get of the backup actor's last
 * journal entry. Only when it is newer than what the local `sessions.db` has of that actor (a
 * backup was made since this node's state) is the catalogue read; the state is stale when the
 * latest backup covers more of the journal (`journalSeq`) than the local snapshots do. A node's
 * own backups never do: they are made from its own snapshots, which only move forward.
 */
import { renameSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { ObjectStore } from '../storage/index.js';
import { BACKUP_ACTOR_ID } from '../actors/index.js';
import { eventSubject } from '../schemas/index.js';
import { latestBackup, type BackupManifest } from './backup/index.js';

/** The journal's last sequence on a subject (null: nothing there). */
export type JournalHead = (subject: string) => Promise<number | null>;

interface LocalCoverage {
  /** the highest journal sequence any local snapshot covers */
  readonly maxSeq: number;
  /** what the local snapshot of the backup actor covers (0: none) */
  readonly backupActorSeq: number;
}

function localCoverage(dir: string, org: string, ws: string): LocalCoverage {
  const db = new Database(join(dir, 'db', 'sessions.db'), { readonly: true, fileMustExist: true });
  try {
    const max = db.prepare('SELECT COALESCE(MAX(last_seq), 0) AS seq FROM actors').get() as { seq: number };
    const backup = db
      .prepare('SELECT last_seq AS seq FROM actors WHERE key = ?')
      .get(`${org}.${ws}.backup.${BACKUP_ACTOR_ID}`) as { seq: number } | undefined;
    return { maxSeq: max.seq, backupActorSeq: backup?.seq ?? 0 };
  } finally {
    db.close();
  }
}

/**
 * The latest backup when it is newer than the workspace's local state in `dir` (see the module
 * comment), else undefined. `store` is the workspace's view of the backup store.
 */
export async function backupNewerThanLocal(o: {
  readonly dir: string;
  readonly org: string;
  readonly ws: string;
  readonly store: ObjectStore;
  readonly journalHead: JournalHead;
}): Promise<BackupManifest | undefined> {
  const local = localCoverage(o.dir, o.org, o.ws);
  const head = await o.journalHead(
    eventSubject({ org: o.org, ws: o.ws, kind: 'backup', id: BACKUP_ACTOR_ID }),
  );
  if (head === null || head <= local.backupActorSeq) return undefined;
  const latest = await latestBackup(o.store);
  return latest && latest.journalSeq > local.maxSeq ? latest : undefined;
}

/**
 * Moves a stale workspace directory aside (beside it, `.stale-<time>-<ws>`); false when it cannot
 * be moved (logged): the local state is then served as it is.
 */
export function setAside(dir: string, log: Logger): boolean {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const aside = join(dirname(dir), `.stale-${stamp}-${basename(dir)}`);
  try {
    renameSync(dir, aside);
  } catch (err) {
    log.error({ err, dir }, 'restore: the local state is stale but cannot be set aside; serving it');
    return false;
  }
  log.warn(
    { aside },
    'restore: the local state is older than the latest backup (other nodes ran the workspace since); set aside, restoring the backup',
  );
  return true;
}
