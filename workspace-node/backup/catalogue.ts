/**
 * Which backups exist: read from `manifests/` only. A backup whose manifest was never written (a
 * crash mid-backup) is invisible here, whatever objects it left behind. Backup ids sort by their
 * creation time (`20261202T224700123Z-1a2b3c`).
 */
import { randomBytes } from 'node:crypto';
import type { ObjectStore } from '../../storage/index.js';
import { errors } from '../errors.js';
import { MANIFESTS_PREFIX, manifestKey, parseManifest, type BackupManifest } from './manifest.js';

/** A new id: UTC time to the millisecond, then 6 random hex digits. */
export function newBackupId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('.', '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** The manifest of `backupId`; MOE_ERR_BACKUP_NOT_FOUND when it has none. */
export async function readManifest(store: ObjectStore, backupId: string): Promise<BackupManifest> {
  const key = manifestKey(backupId);
  let bytes: Buffer;
  try {
    bytes = await store.get(key);
  } catch (cause) {
    if ((cause as { code?: string }).code === 'MOE_ERR_STORAGE_NOT_FOUND')
      throw errors.BACKUP_NOT_FOUND(backupId, { cause });
    throw cause;
  }
  return parseManifest(bytes, key);
}

/**
 * Every backup with a readable manifest, oldest first (by creation time, then id). A manifest this
 * build cannot read (corrupt, or a newer schema version) is passed to `onUnreadable` and left
 * out, so one bad manifest never hides the good ones; a store failure still throws.
 */
export async function listBackups(
  store: ObjectStore,
  onUnreadable: (backupId: string, error: Error) => void = () => {},
): Promise<BackupManifest[]> {
  const ids: string[] = [];
  for await (const e of store.list(MANIFESTS_PREFIX)) {
    const name = e.key.slice(MANIFESTS_PREFIX.length);
    if (name.endsWith('.json') && !name.includes('/')) ids.push(name.slice(0, -'.json'.length));
  }
  const read = await Promise.all(
    ids.map((id) =>
      readManifest(store, id).catch((err: Error & { code?: string }) => {
        if (err.code !== 'MOE_ERR_BACKUP_MANIFEST' && err.code !== 'MOE_ERR_BACKUP_NOT_FOUND') throw err;
        onUnreadable(id, err);
        return undefined;
      }),
    ),
  );
  return read
    .filter((m): m is BackupManifest => m !== undefined)
    .sort((a, b) =>
      a.createdAt === b.createdAt
        ? a.backupId.localeCompare(b.backupId)
        : a.createdAt.localeCompare(b.createdAt),
    );
}

/** The newest backup with a readable manifest, or undefined when the store holds none. */
export async function latestBackup(store: ObjectStore): Promise<BackupManifest | undefined> {
  return (await listBackups(store)).at(-1);
}
