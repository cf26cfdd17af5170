/**
 * Whether a pid names a running process this one can see: the liveness test behind the data-dir
 * lock's stale-holder rule and the backup scratch-dir sweep. Signal 0 probes without delivering;
 * EPERM means the process exists but belongs to another user, so it counts as alive.
 */

/** true while `pid` runs (or exists under another user); false once it is gone */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
