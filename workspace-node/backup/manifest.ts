/**
 * The backup manifest: the one object that makes a backup exist. Written last, at
 * `manifests/<backupId>.json`, it lists every object the backup needs (key, sha256, size), which
 * workspace file is which blob, which log byte ranges each sealed segment holds, the journal
 * sequence each actor's snapshot in sessions.db covers, and schema versions. Readers accept only
 * the schema and versions they know (MOE_ERR_BACKUP_MANIFEST otherwise).
 */
import { errors } from '../errors.js';

export const MANIFEST_SCHEMA = 'moe.backup.manifest';
export const MANIFEST_VERSION = 1;

/** Store layout (keys under the workspace's store prefix). */
export const MANIFESTS_PREFIX = 'manifests/';
export const manifestKey = (backupId: string): string => `${MANIFESTS_PREFIX}${backupId}.json`;
export const blobKey = (sha256: string): string => `blobs/${sha256}`;
export const dbKey = (name: string, rawSha256: string): string => `db/${name}/${rawSha256}.db.gz`;
export const segmentKey = (log: string, start: number, end: number, rawSha256: string): string =>
  `segments/${log}/${String(start).padStart(15, '0')}-${String(end).padStart(15, '0')}-${rawSha256}.jsonl.gz`;

/** An object in the store: its key, and the sha256 and size of the bytes stored under it. */
export interface StoredObject {
  readonly key: string;
  readonly sha256: string;
  readonly size: number;
}

/** A gzip-compressed object: also the sha256 and size of its decompressed content. */
export interface CompressedObject extends StoredObject {
  readonly rawSha256: string;
  readonly rawSize: number;
}

export interface DatabaseEntry extends CompressedObject {
  /** `sessions`, `messages`, … (the file is `db/<name>.db`) */
  readonly name: string;
  /** `PRAGMA user_version` of the snapshot */
  readonly userVersion: number;
  /** `projection_meta.last_seq` of the snapshot: the journal sequence its rows cover (0: none) */
  readonly lastSeq: number;
}

/** A sealed segment: bytes [start, end) of a log, whole lines only, that will never change. */
export interface SegmentEntry extends CompressedObject {
  readonly start: number;
  readonly end: number;
}

export interface LogEntry {
  /** file name in `sessions/` (`s-….jsonl`) */
  readonly name: string;
  /** bytes covered: the end of the last segment */
  readonly size: number;
  readonly segments: readonly SegmentEntry[];
}

export interface FileEntry {
  /** workspace-relative, '/'-separated path under `files/` */
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  /** the blob holding the content: `blobs/<sha256>` */
  readonly blob: string;
  readonly mode: number;
  readonly mtimeMs: number;
}

/** The journal sequence an actor's snapshot in the backed-up sessions.db covers. */
export interface ActorCoverage {
  readonly key: string;
  readonly kind: string;
  readonly turn: number;
  readonly lastSeq: number;
}

export interface BackupManifest {
  readonly schema: typeof MANIFEST_SCHEMA;
  readonly version: typeof MANIFEST_VERSION;
  readonly backupId: string;
  /** ISO 8601 */
  readonly createdAt: string;
  readonly workspace?: { readonly org: string; readonly ws: string };
  /** the backup this one was made incrementally against */
  readonly previous: string | null;
  readonly schemaVersions: {
    readonly manifest: number;
    /** journal entry versions (`rec.v`) seen in the logs */
    readonly journalEntries: readonly number[];
    readonly databases: Readonly<Record<string, number>>;
  };
  readonly databases: readonly DatabaseEntry[];
  readonly logs: readonly LogEntry[];
  readonly files: readonly FileEntry[];
  readonly actors: readonly ActorCoverage[];
  /** highest journal sequence any actor's snapshot covers */
  readonly journalSeq: number;
  /** every object the backup needs (deduplicated), with sha256 and size */
  readonly objects: readonly StoredObject[];
}

/** Parses and checks a manifest's bytes (schema, version, the fields restore relies on). */
export function parseManifest(bytes: Buffer, key: string): BackupManifest {
  let m: Partial<BackupManifest>;
  try {
    m = JSON.parse(bytes.toString('utf8')) as Partial<BackupManifest>;
  } catch (cause) {
    throw errors.BACKUP_MANIFEST(`${key}: not JSON`, { cause });
  }
  if (m?.schema !== MANIFEST_SCHEMA) throw errors.BACKUP_MANIFEST(`${key}: not a backup manifest`);
  if (m.version !== MANIFEST_VERSION)
    throw errors.BACKUP_MANIFEST(
      `${key}: version ${String(m.version)}, this build reads ${MANIFEST_VERSION}`,
    );
  for (const field of ['backupId', 'createdAt'] as const)
    if (typeof m[field] !== 'string') throw errors.BACKUP_MANIFEST(`${key}: no ${field}`);
  for (const field of ['databases', 'logs', 'files', 'actors', 'objects'] as const)
    if (!Array.isArray(m[field])) throw errors.BACKUP_MANIFEST(`${key}: no ${field} list`);
  return m as BackupManifest;
}
