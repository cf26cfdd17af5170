/**
 * Restore: everything a manifest lists, downloaded into a fresh directory in the workspace layout
 * (`db/<name>.db`, `sessions/<log>.jsonl` with its segments decompressed and concatenated in order,
 * `files/<path>` with its mode and mtime). Every object is checked against the manifest's sha256
 * and size (and, compressed, the sha256 of its content): a mismatch or a missing object is
 * MOE_ERR_BACKUP_INTEGRITY. Give it a MirroredStore and a bad or missing copy is read from the
 * other one first (storage/mirroredStore.ts). The target must not exist or be empty
 * (MOE_ERR_BACKUP_TARGET); a failed restore leaves a partial directory for the caller to remove.
 * Progress is reported per phase (databases, logs, files) after each object (`onProgress`).
 */
import { existsSync, mkdirSync, readdirSync, chmodSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ObjectStore } from '../../storage/index.js';
import { errors } from '../errors.js';
import { DATABASES } from '../sqliteCluster.js';
import type { BackupManifest } from './manifest.js';
import { getDecompressed, getFile } from './transfer.js';

export interface RestoreOptions {
  /**
   * Called with each MOE_ERR_BACKUP_INTEGRITY failure instead of throwing it: the restore goes on
   * with the next object (verifyBackup uses this to report every bad object, not just the first).
   */
  readonly onIntegrityError?: (key: string, error: Error) => void;
  /** Called once at the start of each phase and after each object of it is restored and checked. */
  readonly onProgress?: (progress: RestoreProgress) => void;
}

export type RestorePhase = 'databases' | 'logs' | 'files';

/** Where a restore is: objects and stored bytes done in the current phase, and its totals. */
export interface RestoreProgress {
  readonly phase: RestorePhase;
  readonly objects: number;
  readonly totalObjects: number;
  readonly bytes: number;
  readonly totalBytes: number;
}

/** What each phase of restoring `manifest` downloads: objects and their stored bytes. */
export function restorePlan(
  manifest: BackupManifest,
): Record<RestorePhase, { readonly objects: number; readonly bytes: number }> {
  const sum = (sizes: readonly { size: number }[]) => ({
    objects: sizes.length,
    bytes: sizes.reduce((n, o) => n + o.size, 0),
  });
  return {
    databases: sum(manifest.databases),
    logs: sum(manifest.logs.flatMap((l) => l.segments)),
    files: sum(manifest.files),
  };
}

export interface RestoreResult {
  readonly dir: string;
  /** objects downloaded and checked */
  readonly objects: number;
  /** their stored bytes */
  readonly bytes: number;
}

/** Files downloaded at once. */
const FILE_DOWNLOADS = 8;

const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

function checkPath(path: string): string {
  const parts = path.split('/');
  if (path.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\')))
    throw errors.BACKUP_MANIFEST(`unsafe file path ${JSON.stringify(path)}`);
  return path;
}

function checkManifest(m: BackupManifest): void {
  for (const d of m.databases)
    if (!(DATABASES as readonly string[]).includes(d.name))
      throw errors.BACKUP_MANIFEST(`unknown database ${d.name}`);
  for (const l of m.logs) {
    if (!SAFE_NAME.test(l.name) || !l.name.endsWith('.jsonl'))
      throw errors.BACKUP_MANIFEST(`unsafe log name ${l.name}`);
    let at = 0;
    for (const s of l.segments) {
      if (s.start !== at || s.end <= s.start)
        throw errors.BACKUP_MANIFEST(`${l.name}: segments not contiguous at byte ${at}`);
      at = s.end;
    }
  }
  for (const f of m.files) checkPath(f.path);
}

/** Downloads the backup into `targetDir`; resolves when every object is there and checked. */
export async function restoreBackup(
  store: ObjectStore,
  manifest: BackupManifest,
  targetDir: string,
  options: RestoreOptions = {},
): Promise<RestoreResult> {
  checkManifest(manifest);
  if (existsSync(targetDir) && readdirSync(targetDir).length > 0) throw errors.BACKUP_TARGET(targetDir);
  for (const sub of ['db', 'sessions', 'files']) mkdirSync(join(targetDir, sub), { recursive: true });
  let objects = 0;
  let bytes = 0;
  const plan = restorePlan(manifest);
  let phase: { name: RestorePhase; objects: number; bytes: number } = {
    name: 'databases',
    objects: 0,
    bytes: 0,
  };
  const report = () =>
    options.onProgress?.({
      phase: phase.name,
      objects: phase.objects,
      totalObjects: plan[phase.name].objects,
      bytes: phase.bytes,
      totalBytes: plan[phase.name].bytes,
    });
  const startPhase = (name: RestorePhase) => {
    phase = { name, objects: 0, bytes: 0 };
    report();
  };
  const step = async (key: string, size: number, run: () => Promise<void>): Promise<boolean> => {
    try {
      await run();
      objects++;
      bytes += size;
      phase.objects++;
      phase.bytes += size;
      report();
      return true;
    } catch (err) {
      if (!options.onIntegrityError || (err as { code?: string }).code !== 'MOE_ERR_BACKUP_INTEGRITY')
        throw err;
      options.onIntegrityError(key, err as Error);
      return false;
    }
  };

  startPhase('databases');
  for (const d of manifest.databases)
    await step(d.key, d.size, () => getDecompressed(store, d, join(targetDir, 'db', `${d.name}.db`)));
  startPhase('logs');
  for (const l of manifest.logs) {
    const path = join(targetDir, 'sessions', l.name);
    writeFileSync(path, '');
    for (const s of l.segments) {
      // A bad segment would leave the rest of the log misplaced: stop this log there.
      if (!(await step(s.key, s.size, () => getDecompressed(store, s, path, true)))) break;
    }
  }
  // Files are many and small: a few downloads at a time.
  startPhase('files');
  const queue = [...manifest.files];
  const worker = async (): Promise<void> => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      const file = f;
      const path = join(targetDir, 'files', ...checkPath(file.path).split('/'));
      mkdirSync(dirname(path), { recursive: true });
      const blob = { key: file.blob, sha256: file.sha256, size: file.size };
      if (!(await step(file.blob, file.size, () => getFile(store, blob, path)))) continue;
      chmodSync(path, file.mode);
      utimesSync(path, file.mtimeMs / 1000, file.mtimeMs / 1000);
    }
  };
  await Promise.all(Array.from({ length: FILE_DOWNLOADS }, worker));
  return { dir: targetDir, objects, bytes };
}
