/**
 * One node process per data directory. Two processes on one `--data-dir` would interleave session
 * JSONL and SQLite writes (and `moe replay` then fails), so a node takes `<dataDir>/node.lock` at
 * start and refuses with MOE_ERR_DATA_DIR_LOCKED, naming the holder, when another live process has it.
 *
 * The lock file holds `{pid, host, node, at}` and appears atomically with its content: it is written
 * to a private temp file and hard-linked into place (link fails with EEXIST if a lock exists — the
 * classic O_EXCL lock, without a window where the file exists but is empty). A lock whose pid is
 * dead on this host is stale (a SIGKILLed node) and is taken over; a lock from another host is
 * never guessed at. Like an fcntl lock it belongs to the process: nodes in one process (`moe up`,
 * tests) share it, counted, and the last release removes the file; process exit removes it too.
 *
 * @example
 *   const lock = lockDataDir('/var/lib/moe', 'node-a'); // throws MOE_ERR_DATA_DIR_LOCKED
 *   ...
 *   lock.release();
 */
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { errors } from './errors.js';
import { processAlive } from './processAlive.js';

export const LOCK_FILE = 'node.lock';

export interface DataDirLock {
  /** the lock file */
  readonly path: string;
  /** Gives this holder's share back; the last one removes the lock file. Idempotent. */
  release(): void;
}

interface Holder {
  pid?: unknown;
  host?: unknown;
  node?: unknown;
}

/** lock files this process holds, with how many nodes share each */
const held = new Map<string, number>();
let exitHook = false;

function removeHeld(): void {
  for (const path of held.keys()) unlinkQuietly(path);
  held.clear();
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

function readHolder(path: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Holder;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return {}; // unreadable: treated as held by an unknown process, never removed
  }
}

/** Takes the data directory's lock for this process, or throws MOE_ERR_DATA_DIR_LOCKED. */
export function lockDataDir(dataDir: string, nodeId: string): DataDirLock {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  if (!held.has(path)) acquire(dir, path, nodeId);
  held.set(path, (held.get(path) ?? 0) + 1);
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      const n = (held.get(path) ?? 1) - 1;
      if (n > 0) return void held.set(path, n);
      held.delete(path);
      unlinkQuietly(path);
    },
  };
}

function acquire(dir: string, path: string, nodeId: string): void {
  const host = hostname();
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ pid: process.pid, host, node: nodeId, at: Date.now() }) + '\n');
  try {
    // A few rounds: each one either takes the lock, or removes one stale lock and tries again.
    for (let round = 0; round < 3; round++) {
      try {
        linkSync(tmp, path);
        if (!exitHook) process.once('exit', removeHeld);
        exitHook = true;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = readHolder(path);
      if (!holder) continue; // released between our link and our read
      const pid = typeof holder.pid === 'number' ? holder.pid : undefined;
      // Our own pid in a lock we do not hold: left by an earlier process that had this pid.
      const stale = pid !== undefined && holder.host === host && (pid === process.pid || !processAlive(pid));
      if (!stale) {
        const who = `pid ${pid ?? '?'} on ${typeof holder.host === 'string' ? holder.host : '?'}`;
        const node = typeof holder.node === 'string' ? ` (node ${holder.node})` : '';
        throw errors.DATA_DIR_LOCKED(
          `${dir} is used by ${who}${node}; stop that process, or use another --data-dir` +
            ` (if it is gone, remove ${path})`,
        );
      }
      unlinkQuietly(path); // its process is dead: a SIGKILLed node left it behind
    }
    throw errors.DATA_DIR_LOCKED(`${dir}: could not take ${path} (another node keeps taking it)`);
  } finally {
    unlinkQuietly(tmp);
  }
}
