/**
 * Whether a pid names a running process this one can see: the liveness test behind the data-dir
 * lock's stale-holder rule, the backup scratch-dir sweep and `MOE_STOP_WITH_PID`. Signal 0 probes
 * without delivering; EPERM means the process exists but belongs to another user, so it counts as
 * alive. Where /proc tells, a zombie (dead, not yet reaped by its parent) counts as gone.
 */
import { readFileSync } from 'node:fs';

/** true while `pid` runs (or exists under another user); false once it is gone */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (not Linux): kill(0) said it exists
  }
}
