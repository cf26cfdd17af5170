/**
 * Confinement of tool paths to the workspace root: no `..` escape, no absolute path outside the
 * root, no symlink that leads out (the real path of the deepest existing ancestor must stay inside).
 */
import { realpath } from 'node:fs/promises';
import { dirname, isAbsolute, resolve, sep, basename, join } from 'node:path';
import { errors } from '../errors.js';

function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** Resolves `userPath` against `root` and returns the absolute path, or throws PATH_OUTSIDE_WORKSPACE. */
export async function resolveInside(root: string, userPath: string): Promise<string> {
  if (userPath.includes('\0')) throw errors.PATH_OUTSIDE_WORKSPACE('NUL byte in path');
  const realRoot = await realpath(root);
  const candidate = isAbsolute(userPath) ? resolve(userPath) : resolve(realRoot, userPath);
  if (!inside(realRoot, candidate)) throw errors.PATH_OUTSIDE_WORKSPACE(userPath);
  // Walk up to the deepest existing ancestor and check its real path (symlinks resolved).
  let probe = candidate;
  const rest: string[] = [];
  for (;;) {
    try {
      const real = await realpath(probe);
      const full = rest.length ? join(real, ...rest.reverse()) : real;
      if (!inside(realRoot, full)) throw errors.PATH_OUTSIDE_WORKSPACE(`${userPath} (through a symlink)`);
      return full;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      rest.push(basename(probe));
      const parent = dirname(probe);
      if (parent === probe) throw errors.PATH_OUTSIDE_WORKSPACE(userPath);
      probe = parent;
    }
  }
}
