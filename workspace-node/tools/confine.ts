/**
 * Confinement of tool paths to the workspace root. A user path is accepted only if every file it
 * names lies inside the root's real path:
 * - no NUL bytes; no `..` or absolute path that leaves the root (checked lexically first);
 * - then the path is walked one component at a time from the root, following each symlink by hand
 *   (a symlinked directory in the middle, a symlink as the final component, a dangling symlink):
 *   a link whose target leaves the root is refused even when the target does not exist yet, so
 *   writing through it can never create the outside file.
 * The result is a canonical path with no symlink in its existing part; tools open it with
 * `O_NOFOLLOW` (see `safeFs.ts`) so a link swapped in afterwards fails instead of being followed.
 *
 * This guards the file tools. It is not a sandbox against a process that can itself create
 * symlinks concurrently (the optional `shell` tool): see `shell.ts`.
 */
import { lstat, readlink, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { errors } from '../errors.js';

/** at most this many symlinks are followed while resolving one path (Linux uses 40) */
const MAX_SYMLINK_HOPS = 40;

export interface ConfinedPath {
  /** real path of the workspace root */
  readonly root: string;
  /** canonical absolute path inside `root` */
  readonly absolute: string;
  /** `absolute` relative to `root` (`.` for the root itself), `/`-separated: what the model sees */
  readonly relative: string;
}

function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

function parts(path: string): string[] {
  return path.split(sep).filter((p) => p !== '' && p !== '.');
}

/**
 * The real path of the workspace root. A missing root is the host's fault, not the model's: it
 * throws a plain error (no errno code), which tools rethrow as an infrastructure failure.
 */
export async function workspaceRoot(root: string): Promise<string> {
  try {
    return await realpath(root);
  } catch (cause) {
    throw new Error(`workspace root is not accessible: ${root}`, { cause });
  }
}

/**
 * Resolves `userPath` inside the workspace `root`, or throws `MOE_ERR_PATH_OUTSIDE_WORKSPACE`.
 *
 * @example
 *   const p = await confinePath('/ws', 'src/a.ts'); // { root: '/ws', absolute: '/ws/src/a.ts', relative: 'src/a.ts' }
 *   await confinePath('/ws', '../etc/passwd');       // throws MOE_ERR_PATH_OUTSIDE_WORKSPACE
 */
export async function confinePath(root: string, userPath: string): Promise<ConfinedPath> {
  if (userPath.includes('\0')) throw errors.PATH_OUTSIDE_WORKSPACE('NUL byte in path');
  const realRoot = await workspaceRoot(root);
  const lexicalRoot = resolve(root);
  let candidate = isAbsolute(userPath) ? resolve(userPath) : resolve(realRoot, userPath);
  // An absolute path spelled with the root as given (e.g. /tmp/ws when /tmp is a symlink) is rebased.
  if (isAbsolute(userPath) && !isInside(realRoot, candidate) && isInside(lexicalRoot, candidate)) {
    candidate = realRoot + candidate.slice(lexicalRoot.length);
  }
  if (!isInside(realRoot, candidate)) throw errors.PATH_OUTSIDE_WORKSPACE(userPath);

  const queue = parts(relative(realRoot, candidate));
  let current = realRoot;
  let missing = false; // once a component does not exist, the rest is appended without lstat
  let hops = 0;
  while (queue.length > 0) {
    const name = queue.shift() as string;
    const next = current === sep ? sep + name : current + sep + name;
    if (missing) {
      current = next;
      continue;
    }
    let info;
    try {
      info = await lstat(next);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      missing = true;
      current = next;
      continue;
    }
    if (!info.isSymbolicLink()) {
      current = next;
      continue;
    }
    if (++hops > MAX_SYMLINK_HOPS) throw errors.PATH_OUTSIDE_WORKSPACE(`${userPath} (too many symlinks)`);
    // The target is normalised lexically (no `..` left), so the queue only ever holds plain names.
    const target = resolve(current, await readlink(next));
    if (!isInside(realRoot, target)) throw errors.PATH_OUTSIDE_WORKSPACE(`${userPath} (through a symlink)`);
    queue.unshift(...parts(relative(realRoot, target)));
    current = realRoot;
  }
  const rel = relative(realRoot, current);
  return { root: realRoot, absolute: current, relative: rel === '' ? '.' : rel.split(sep).join('/') };
}

/** Resolves `userPath` against `root` and returns the absolute path, or throws PATH_OUTSIDE_WORKSPACE. */
export async function resolveInside(root: string, userPath: string): Promise<string> {
  return (await confinePath(root, userPath)).absolute;
}
