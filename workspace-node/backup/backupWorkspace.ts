/**
 * One backup of one workspace, as a library call (run by the backup actor's `backup.run` effect,
 * workspace-node/effects/backupRun.ts): snapshot the SQLite cluster, seal the session logs, upload the workspace files
 * content-addressed, and write the manifest LAST. Until the manifest is written nothing of this
 * backup is visible (catalogue.ts reads manifests only): a crash or a failed put at any earlier
 * point leaves at most unreferenced objects, which the next run reuses where they match.
 * Incremental against the latest backup (or the one passed): unchanged blobs, database snapshots
 * and log segments are referenced, not uploaded again.
 *
 * Source layout (workspaceHost.ts): `<dir>/db/*.db`, `<dir>/sessions/*.jsonl`, `<dir>/files/` (or the
 * shared files root's `<root>/<org>/<ws>/files/`, option `filesDir`).
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ObjectStore } from '../../storage/index.js';
import { latestBackup, newBackupId } from './catalogue.js';
import { backupFiles } from './fileBlobs.js';
import { sealLogs } from './logSegments.js';
import {
  MANIFEST_SCHEMA,
  MANIFEST_VERSION,
  dbKey,
  manifestKey,
  type BackupManifest,
  type DatabaseEntry,
  type StoredObject,
} from './manifest.js';
import { backupScratchDir } from './scratchDirs.js';
import { snapshotDatabases, type DatabaseSource } from './snapshotDatabases.js';
import { hashFile, putCompressed } from './transfer.js';

export interface BackupOptions {
  /** the workspace directory (`<data dir>/workspaces/<org>/<ws>`) */
  readonly dir: string;
  /** the node's open cluster while it runs (default: the files in `<dir>/db`) */
  readonly databases?: DatabaseSource;
  /** the workspace files (default `<dir>/files`; with MOE_FILES_ROOT, `<root>/<org>/<ws>/files`) */
  readonly filesDir?: string;
  readonly workspace?: { readonly org: string; readonly ws: string };
  /** the backup to be incremental against; default the latest in the store; null: a full backup */
  readonly previous?: BackupManifest | null;
  readonly now?: () => Date;
  /** where the database snapshots are made (default the OS temp dir); removed afterwards (scratchDirs.ts) */
  readonly tmpDir?: string;
  /** upper bound of one log segment's uncompressed bytes (default SEGMENT_BYTES) */
  readonly segmentBytes?: number;
}

export interface BackupResult {
  readonly manifest: BackupManifest;
  /** objects this run put (the manifest included), and the bytes of the blobs among them */
  readonly uploaded: {
    readonly databases: number;
    readonly segments: number;
    readonly blobs: number;
    readonly blobBytes: number;
  };
}

async function uploadDatabases(
  store: ObjectStore,
  snapshots: Awaited<ReturnType<typeof snapshotDatabases>>['databases'],
  previous: BackupManifest | null,
): Promise<{ entries: DatabaseEntry[]; uploaded: number }> {
  const entries: DatabaseEntry[] = [];
  let uploaded = 0;
  for (const s of snapshots) {
    const raw = await hashFile(s.path);
    const key = dbKey(s.name, raw.sha256);
    const meta = { name: s.name, userVersion: s.userVersion, lastSeq: s.lastSeq };
    const before = previous?.databases.find((d) => d.key === key);
    const existing = before ? undefined : await store.head(key);
    if (before) entries.push({ ...before, ...meta });
    else if (existing?.sha256)
      entries.push({
        key,
        sha256: existing.sha256,
        size: existing.size,
        rawSha256: raw.sha256,
        rawSize: raw.size,
        ...meta,
      });
    else {
      entries.push({ ...(await putCompressed(store, key, s.path, raw)), ...meta });
      uploaded++;
    }
  }
  return { entries, uploaded };
}

/** Backs the workspace up; resolves once its manifest is written. */
export async function backupWorkspace(store: ObjectStore, o: BackupOptions): Promise<BackupResult> {
  const now = (o.now ?? (() => new Date()))();
  const previous = o.previous === undefined ? ((await latestBackup(store)) ?? null) : o.previous;
  const backupId = newBackupId(now);
  const tmp = backupScratchDir(o.tmpDir ?? tmpdir());
  try {
    // Databases first, then logs: a log is never behind sessions.db (jsonlLog.ts), so the sealed
    // segments cover at least what each actor's snapshot covers.
    const cluster = await snapshotDatabases(o.databases ?? join(o.dir, 'db'), tmp);
    const dbs = await uploadDatabases(store, cluster.databases, previous);
    const sealed = await sealLogs(store, join(o.dir, 'sessions'), previous?.logs, o.segmentBytes);
    const known = new Set(previous?.files.map((f) => f.blob));
    const files = await backupFiles(store, o.filesDir ?? join(o.dir, 'files'), previous?.files, known);

    const objects = new Map<string, StoredObject>();
    const add = (x: StoredObject) => objects.set(x.key, { key: x.key, sha256: x.sha256, size: x.size });
    dbs.entries.forEach(add);
    for (const l of sealed.logs) l.segments.forEach(add);
    for (const f of files.files) objects.set(f.blob, { key: f.blob, sha256: f.sha256, size: f.size });

    const manifest: BackupManifest = {
      schema: MANIFEST_SCHEMA,
      version: MANIFEST_VERSION,
      backupId,
      createdAt: now.toISOString(),
      ...(o.workspace ? { workspace: { org: o.workspace.org, ws: o.workspace.ws } } : {}),
      previous: previous?.backupId ?? null,
      schemaVersions: {
        manifest: MANIFEST_VERSION,
        journalEntries: [
          ...new Set([...(previous?.schemaVersions.journalEntries ?? []), ...sealed.entryVersions]),
        ].sort((a, b) => a - b),
        databases: Object.fromEntries(dbs.entries.map((d) => [d.name, d.userVersion])),
      },
      databases: dbs.entries,
      logs: sealed.logs,
      files: files.files,
      actors: cluster.actors,
      journalSeq: cluster.actors.reduce((m, a) => Math.max(m, a.lastSeq), 0),
      objects: [...objects.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    };
    // Last: only now does the backup exist.
    await store.put(manifestKey(backupId), Buffer.from(`${JSON.stringify(manifest, null, 1)}\n`), {
      contentType: 'application/json',
    });
    return {
      manifest,
      uploaded: {
        databases: dbs.uploaded,
        segments: sealed.uploaded,
        blobs: files.uploaded,
        blobBytes: files.uploadedBytes,
      },
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
