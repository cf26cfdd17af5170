/**
 * Backup and restore figures (issue 8): a generated workspace — mostly small text files plus some
 * larger random binaries under `files/` (generatedFiles.ts), and the session log and databases of a
 * real kernel run (kernelWorkspace.ts: 10,000 turns, copied after its node stopped) — backed up to an fs object store in a temp dir, restored to a fresh dir, and each
 * compared with a plain `cp -r` of the same data measured in the same run. Then 1% of the files
 * change and an incremental backup runs against the full one.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FsObjectStore } from '../storage/index.js';
import { backupWorkspace, restoreBackup } from '../workspace-node/index.js';
import { generateFiles, textFile } from './generatedFiles.js';

export interface BackupFigures {
  backup_mb_per_s: number;
  backup_vs_cp_ratio: number;
  restore_mb_per_s: number;
  restore_vs_cp_ratio: number;
  incremental_1pct_ms: number;
  full_backup_ms: number;
  context: {
    workspace_mb: number;
    files: number;
    small_text_files: number;
    binary_files: number;
    binary_file_mb: number;
    log_mb: number;
    db_mb: number;
    turns: number;
    turns_source: string;
    cp_backup_mb_per_s: number;
    cp_restore_mb_per_s: number;
    cp_then_sync_mb_per_s: number;
    incremental_changed_files: number;
    incremental_uploaded_blobs: number;
    store: string;
  };
}

export function bytesUnder(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) n += statSync(join(e.parentPath, e.name)).size;
  return n;
}

export function timed(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

export async function timedAsync(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export const mbps = (bytes: number, ms: number) => Math.round((bytes / 1e6 / (ms / 1000)) * 10) / 10;

/**
 * `kernelWorkspace`: a workspace dir whose node has stopped (its `db/` and `sessions/` are copied).
 * `targetMb`: the size of the generated `files/`, about 12% small text files and the rest binaries.
 */
export async function backupBench(
  kernelWorkspace: string,
  turns: number,
  targetMb: number,
  tmp: string,
): Promise<BackupFigures> {
  const root = mkdtempSync(join(tmp, 'moe-bench-backup-'));
  try {
    const ws = join(root, 'ws');
    mkdirSync(join(ws, 'files'), { recursive: true });
    cpSync(join(kernelWorkspace, 'db'), join(ws, 'db'), { recursive: true });
    cpSync(join(kernelWorkspace, 'sessions'), join(ws, 'sessions'), { recursive: true });

    // files/: many small text files in nested folders, a few large binaries (incompressible)
    const { paths, smallCount, binaryCount, binaryMb } = generateFiles(join(ws, 'files'), targetMb);
    const total = bytesUnder(ws);
    const logBytes = bytesUnder(join(ws, 'sessions'));
    const dbBytes = bytesUnder(join(ws, 'db'));

    // backup vs cp -r of the same workspace
    const cpA = join(root, 'cp-a');
    const cpBackupMs = timed(() => execFileSync('cp', ['-r', ws, cpA]));
    // for context: cp -r followed by a sync of that filesystem (the store fsyncs every object)
    rmSync(cpA, { recursive: true, force: true });
    execFileSync('sync');
    const cpSyncMs = timed(() => {
      execFileSync('cp', ['-r', ws, cpA]);
      execFileSync('sync', ['-f', cpA]);
    });
    const storeDir = join(root, 'store');
    const store = new FsObjectStore(storeDir);
    let full!: Awaited<ReturnType<typeof backupWorkspace>>;
    const backupMs = await timedAsync(async () => {
      full = await backupWorkspace(store, { dir: ws, previous: null, tmpDir: root });
    });

    // restore vs cp -r of a copy into a fresh dir
    const cpRestoreMs = timed(() => execFileSync('cp', ['-r', cpA, join(root, 'cp-b')]));
    rmSync(join(root, 'cp-b'), { recursive: true, force: true });
    rmSync(cpA, { recursive: true, force: true });
    const restoreMs = await timedAsync(() => restoreBackup(store, full.manifest, join(root, 'restored')));
    rmSync(join(root, 'restored'), { recursive: true, force: true });

    // incremental: 1% of the files rewritten (new content, new mtime)
    const changed = paths.filter((_, i) => i % 100 === 0);
    for (const p of changed)
      writeFileSync(
        p,
        p.endsWith('.bin') ? randomBytes(statSync(p).size) : `${textFile(2048, Date.now())}\n${p}\n`,
      );
    let incr!: Awaited<ReturnType<typeof backupWorkspace>>;
    const incrementalMs = await timedAsync(async () => {
      incr = await backupWorkspace(store, { dir: ws, previous: full.manifest, tmpDir: root });
    });

    const backupRate = mbps(total, backupMs);
    const restoreRate = mbps(total, restoreMs);
    const cpBackupRate = mbps(total, cpBackupMs);
    const cpRestoreRate = mbps(total, cpRestoreMs);
    return {
      backup_mb_per_s: backupRate,
      backup_vs_cp_ratio: Math.round((backupRate / cpBackupRate) * 1000) / 1000,
      restore_mb_per_s: restoreRate,
      restore_vs_cp_ratio: Math.round((restoreRate / cpRestoreRate) * 1000) / 1000,
      incremental_1pct_ms: Math.round(incrementalMs),
      full_backup_ms: Math.round(backupMs),
      context: {
        workspace_mb: Math.round(total / 1e5) / 10,
        files: paths.length,
        small_text_files: smallCount,
        binary_files: binaryCount,
        binary_file_mb: binaryMb,
        log_mb: Math.round(logBytes / 1e5) / 10,
        db_mb: Math.round(dbBytes / 1e5) / 10,
        turns,
        turns_source:
          'turns run by the real kernel (org.create / workspace.add over 250 org actors, bench/kernelWorkspace.ts), its session log and six databases copied after its node stopped',
        cp_backup_mb_per_s: cpBackupRate,
        cp_restore_mb_per_s: cpRestoreRate,
        cp_then_sync_mb_per_s: mbps(total, cpSyncMs),
        incremental_changed_files: changed.length,
        incremental_uploaded_blobs: incr.uploaded.blobs,
        store: 'FsObjectStore in a temp dir on the same disk (fsync per object); MB = workspace bytes',
      },
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
