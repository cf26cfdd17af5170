/**
 * SQLite and session JSONL never live on FUSE. A gcsfuse mount (or any `fuse.*` filesystem) does
 * not give SQLite the POSIX locking, fsync and rename semantics its journal relies on — seed 000's
 * "reliable SQLite-over-FUSE" is not so (docs/architecture.md) — so a node refuses to start when
 * its data dir is on one, with MOE_ERR_DATA_DIR_ON_FUSE. Only workspace files may be on FUSE
 * (MOE_FILES_ROOT, filesRoot.ts).
 *
 * The filesystem of a path is the mount whose mount point is the longest prefix of the path's
 * resolved (symlink-free) form, read from the kernel's mount table: `/proc/self/mountinfo`, else
 * `/proc/mounts`. The table's path is a parameter so tests can feed a synthetic one. Where no
 * table can be read (macOS, Windows), the check is skipped: it only guards Linux deployments.
 *
 * @example
 *   assertDataDirNotOnFuse('/var/lib/moe'); // throws MOE_ERR_DATA_DIR_ON_FUSE on a gcsfuse mount
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { errors } from './errors.js';

export interface Mount {
  readonly mountPoint: string;
  readonly fstype: string;
  readonly source: string;
}

/** The mount tables tried in order when none is given. */
export const MOUNT_TABLES = ['/proc/self/mountinfo', '/proc/mounts'] as const;

/** Mount tables escape space, tab, newline and backslash as octal (`\040`). */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * Parses either format: mountinfo (`id parent maj:min root MOUNTPOINT opts [optional…] - FSTYPE
 * SOURCE superopts`) or /proc/mounts (`SOURCE MOUNTPOINT FSTYPE opts 0 0`). Bad lines are skipped.
 */
export function parseMountTable(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 3) continue;
    const dash = f.indexOf('-', 6);
    if (dash > 0 && f.length >= dash + 3 && /^\d+:\d+$/.test(f[2] ?? '')) {
      mounts.push({ mountPoint: unescape(f[4]!), fstype: f[dash + 1]!, source: unescape(f[dash + 2]!) });
    } else {
      mounts.push({ mountPoint: unescape(f[1]!), fstype: f[2]!, source: unescape(f[0]!) });
    }
  }
  return mounts;
}

function under(path: string, mountPoint: string): boolean {
  if (mountPoint === '/') return path.startsWith('/');
  const mp = mountPoint.endsWith(sep) ? mountPoint.slice(0, -1) : mountPoint;
  return path === mp || path.startsWith(mp + sep);
}

/** The mount a resolved absolute path lives on: the longest mount point that is a prefix (last one wins a tie, as the kernel stacks them). */
export function mountOf(path: string, mounts: readonly Mount[]): Mount | undefined {
  let best: Mount | undefined;
  for (const m of mounts) {
    if (!under(path, m.mountPoint)) continue;
    if (!best || m.mountPoint.length >= best.mountPoint.length) best = m;
  }
  return best;
}

/** `fuse`, `fuseblk` and every `fuse.<name>` (fuse.gcsfuse, fuse.sshfs, …). */
export function isFuse(fstype: string): boolean {
  return fstype === 'fuse' || fstype === 'fuseblk' || fstype.startsWith('fuse.');
}

/** The path with symlinks resolved; a path not created yet resolves through its nearest existing parent. */
function realPath(path: string): string {
  let p = resolve(path);
  const rest: string[] = [];
  while (!existsSync(p)) {
    const up = dirname(p);
    if (up === p) break;
    rest.unshift(p.slice(up.length).replace(/^[/\\]/, ''));
    p = up;
  }
  return resolve(realpathSync(p), ...rest);
}

function readTable(mountTable: string | undefined): string | undefined {
  for (const path of mountTable !== undefined ? [mountTable] : MOUNT_TABLES) {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      // not Linux, or no /proc: try the next one
    }
  }
  return undefined;
}

/** The mount `path` is on per the table (default: this process's), or undefined when no table is readable. */
export function filesystemOf(path: string, mountTable?: string): (Mount & { path: string }) | undefined {
  const text = readTable(mountTable);
  if (text === undefined) return undefined;
  const resolved = realPath(path);
  const m = mountOf(resolved, parseMountTable(text));
  return m ? { ...m, path: resolved } : undefined;
}

/** Throws MOE_ERR_DATA_DIR_ON_FUSE when `dataDir` is on a FUSE filesystem. */
export function assertDataDirNotOnFuse(dataDir: string, mountTable?: string): void {
  const fs = filesystemOf(dataDir, mountTable);
  if (!fs || !isFuse(fs.fstype)) return;
  throw errors.DATA_DIR_ON_FUSE(
    `${fs.path} is on ${fs.fstype} (${fs.source} at ${fs.mountPoint}), whose locking, fsync and` +
      ` rename SQLite cannot rely on: use a regular volume for --data-dir / MOE_DATA_DIR and put` +
      ` only workspace files on FUSE with MOE_FILES_ROOT`,
  );
}
