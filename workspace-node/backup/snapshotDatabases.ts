/**
 * Consistent snapshots of a workspace's SQLite cluster (sqliteCluster.ts: the six databases),
 * taken with SQLite's online backup API (better-sqlite3 `db.backup`), never by copying live files:
 * each snapshot is one transaction-consistent state even while the node writes. sessions.db is
 * taken first, so the projections, which trail the kernel, never cover more of the journal than
 * the actor snapshots. A snapshot is switched out of WAL mode so its one file is the whole
 * database. Also reads what the manifest records: user_version, projection_meta.last_seq and,
 * from sessions.db, the journal sequence each actor's snapshot covers.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DATABASES, type DatabaseName, type SqliteCluster } from '../sqliteCluster.js';
import type { ActorCoverage } from './manifest.js';

export interface DatabaseSnapshot {
  readonly name: DatabaseName;
  /** the snapshot file (in the destination dir) */
  readonly path: string;
  readonly userVersion: number;
  /** projection_meta.last_seq (0 when the database has none) */
  readonly lastSeq: number;
}

export interface ClusterSnapshot {
  readonly databases: readonly DatabaseSnapshot[];
  /** from sessions.db's `actors` table; empty when there is no sessions.db */
  readonly actors: readonly ActorCoverage[];
}

/** What to snapshot: the node's open cluster, or a `db/` directory (each file opened for the backup). */
export type DatabaseSource = SqliteCluster | string;

const ORDER: readonly DatabaseName[] = ['sessions', ...DATABASES.filter((d) => d !== 'sessions')];

function readMeta(db: Database.Database): { userVersion: number; lastSeq: number } {
  const userVersion = db.pragma('user_version', { simple: true }) as number;
  const hasMeta = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'projection_meta'")
    .get();
  const row = hasMeta
    ? (db.prepare("SELECT v FROM projection_meta WHERE k = 'last_seq'").get() as { v: string } | undefined)
    : undefined;
  return { userVersion, lastSeq: row ? Math.trunc(Number(row.v)) || 0 : 0 };
}

function readActors(db: Database.Database): ActorCoverage[] {
  const hasActors = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'actors'").get();
  if (!hasActors) return [];
  return db
    .prepare<[], ActorCoverage>('SELECT key, kind, turn, last_seq AS lastSeq FROM actors ORDER BY key')
    .all();
}

async function snapshotOne(source: DatabaseSource, name: DatabaseName, dest: string): Promise<boolean> {
  if (typeof source !== 'string') {
    await source[name].backup(dest);
    return true;
  }
  const path = join(source, `${name}.db`);
  if (!existsSync(path)) return false;
  const db = new Database(path, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    await db.backup(dest);
  } finally {
    db.close();
  }
  return true;
}

/** Snapshots every database of `source` into `destDir` as `<name>.db`; missing files are skipped. */
export async function snapshotDatabases(source: DatabaseSource, destDir: string): Promise<ClusterSnapshot> {
  mkdirSync(destDir, { recursive: true });
  const databases: DatabaseSnapshot[] = [];
  let actors: ActorCoverage[] = [];
  for (const name of ORDER) {
    const path = join(destDir, `${name}.db`);
    if (!(await snapshotOne(source, name, path))) continue;
    const db = new Database(path, { fileMustExist: true });
    try {
      db.pragma('journal_mode = DELETE');
      databases.push({ name, path, ...readMeta(db) });
      if (name === 'sessions') actors = readActors(db);
    } finally {
      db.close();
    }
  }
  return { databases, actors };
}
