/**
 * The scratch directory of one backup (database snapshots before upload), named after the process
 * that made it: `moe-backup-<pid>-XXXXXX` in the OS temp dir (or the node's `tmpDir`). A backup
 * removes its own when it ends; a node killed mid-backup (kill -9) cannot, so each new scratch dir
 * first removes the ones left by processes that no longer run and are older than
 * {@link STALE_SCRATCH_MS} (a pid seen from another pid namespace sharing the temp dir is never
 * taken for dead while its dir is fresh). Directories of running processes are never touched.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from '../processAlive.js';

const PREFIX = 'moe-backup-';
/** a dead process's scratch dir is removed once it is this old (ms) */
export const STALE_SCRATCH_MS = 60 * 60_000;

/** Removes the stale scratch dirs of dead processes in `parent`; returns how many. Never throws. */
export function sweepScratchDirs(parent: string, nowMs = Date.now()): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return 0;
  }
  for (const name of names) {
    const pid = Number(/^moe-backup-(\d+)-/.exec(name)?.[1]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || processAlive(pid)) continue;
    const path = join(parent, name);
    try {
      if (nowMs - statSync(path).mtimeMs < STALE_SCRATCH_MS) continue;
      rmSync(path, { recursive: true, force: true });
      removed++;
    } catch {
      // gone already, or not ours to remove: left alone
    }
  }
  return removed;
}

/** A new scratch dir for a backup in `parent`, after sweeping the stale ones. */
export function backupScratchDir(parent: string): string {
  sweepScratchDirs(parent);
  return mkdtempSync(join(parent, `${PREFIX}${process.pid}-`));
}
