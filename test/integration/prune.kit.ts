/**
 * Helpers for the prune tests: a small real workspace (the six SQLite databases of
 * openSqliteCluster, a few files) backed up several times with the library at chosen times, each
 * backup with one file of its own; a store whose deletes fail after N (a crash mid-prune); and the
 * data objects a store holds.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ObjectStore } from '../../storage/index.js';
import {
  backupWorkspace,
  blobKey,
  DATA_PREFIXES,
  type BackupManifest,
} from '../../workspace-node/backup/index.js';
import { openSqliteCluster } from '../../workspace-node/sqliteCluster.js';
import { sha256Hex } from '../../storage/index.js';

/** A workspace dir with the real cluster and one shared file; returns its path. */
export function smallWorkspace(dir: string): string {
  openSqliteCluster(join(dir, 'db')).close();
  mkdirSync(join(dir, 'files'), { recursive: true });
  mkdirSync(join(dir, 'sessions'), { recursive: true });
  writeFileSync(join(dir, 'files', 'shared.txt'), 'in every backup\n');
  return dir;
}

/** The content of backup `i`'s own file, and its blob key. */
export const versionText = (i: number): string => `version ${i} of the notes\n`;
export const versionBlob = (i: number): string => blobKey(sha256Hex(Buffer.from(versionText(i))));

/** Backs `dir` up once per time in `at` (ms), oldest first; backup i has `files/notes.txt` = version i. */
export async function backupsAt(store: ObjectStore, dir: string, at: number[]): Promise<BackupManifest[]> {
  const out: BackupManifest[] = [];
  for (const [i, t] of at.entries()) {
    writeFileSync(join(dir, 'files', 'notes.txt'), versionText(i));
    const r = await backupWorkspace(store, { dir, workspace: { org: 'o', ws: 'w' }, now: () => new Date(t) });
    out.push(r.manifest);
  }
  return out;
}

/** Every data object key (db/, segments/, blobs/) in the store, sorted. */
export async function dataKeys(store: ObjectStore): Promise<string[]> {
  const keys: string[] = [];
  for (const p of DATA_PREFIXES) for await (const e of store.list(p)) keys.push(e.key);
  return keys.sort();
}

/** Wraps a store: every delete after the next `n` throws (a crash mid-prune). */
export class CrashingDeletes implements ObjectStore {
  deletes: string[] = [];
  private left = Infinity;
  constructor(readonly inner: ObjectStore) {}
  get url(): string {
    return this.inner.url;
  }
  crashAfter(n: number): void {
    this.left = n;
  }
  put: ObjectStore['put'] = (key, body, o) => this.inner.put(key, body, o);
  get: ObjectStore['get'] = (key, o) => this.inner.get(key, o);
  getStream: ObjectStore['getStream'] = (key, o) => this.inner.getStream(key, o);
  head: ObjectStore['head'] = (key) => this.inner.head(key);
  list: ObjectStore['list'] = (prefix) => this.inner.list(prefix);
  delete: ObjectStore['delete'] = async (key) => {
    if (this.left-- <= 0) throw new Error(`injected crash before deleting ${key}`);
    this.deletes.push(key);
    return this.inner.delete(key);
  };
}
