/**
 * Backup scratch dirs left by a node killed mid-backup are removed by the next backup's sweep:
 * only those of processes that no longer run, and only once they are old; a running process's
 * dir (this one's, or another live one's) and fresh dirs are left alone.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  backupScratchDir,
  STALE_SCRATCH_MS,
  sweepScratchDirs,
} from '../../workspace-node/backup/scratchDirs.js';
import { tempDir } from '../harness/index.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir('moe-scratch-');
});
afterEach(() => tmp.remove());

/** the pid of a process that has exited */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

function scratch(name: string, ageMs: number): string {
  const dir = join(tmp.path, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'cluster.db'), 'snapshot');
  const at = (Date.now() - ageMs) / 1000;
  utimesSync(dir, at, at);
  return dir;
}

describe('backup scratch dirs', () => {
  it("removes an old dir of a dead process, and keeps live processes' and fresh ones", () => {
    const dead = deadPid();
    const stale = scratch(`moe-backup-${dead}-abc123`, STALE_SCRATCH_MS + 60_000);
    const fresh = scratch(`moe-backup-${dead}-def456`, 1_000);
    const mine = scratch(`moe-backup-${process.pid}-ghi789`, STALE_SCRATCH_MS + 60_000);
    const parent = scratch(`moe-backup-${process.ppid}-jkl012`, STALE_SCRATCH_MS + 60_000);
    const other = scratch('moe-backup-store-x', STALE_SCRATCH_MS + 60_000);
    expect(sweepScratchDirs(tmp.path)).toBe(1);
    expect(existsSync(stale)).toBe(false);
    for (const kept of [fresh, mine, parent, other]) expect(existsSync(kept)).toBe(true);
  });

  it('names a new scratch dir after this process and sweeps first', () => {
    const stale = scratch(`moe-backup-${deadPid()}-abc123`, STALE_SCRATCH_MS + 60_000);
    const dir = backupScratchDir(tmp.path);
    expect(dir.startsWith(join(tmp.path, `moe-backup-${process.pid}-`))).toBe(true);
    expect(existsSync(dir)).toBe(true);
    expect(existsSync(stale)).toBe(false);
  });

  it('does not throw on a parent that does not exist', () => {
    expect(sweepScratchDirs(join(tmp.path, 'missing'))).toBe(0);
  });
});
