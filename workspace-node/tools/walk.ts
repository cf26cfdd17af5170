/**
 * Breadth-first walk of a confined directory for `list_files` and `search`: names sorted, symlinks
 * reported but never followed (so a walk cannot leave the workspace), `.git` and `node_modules`
 * below the start directory skipped, unreadable directories skipped, and so are the temp files a
 * write killed midway left behind (safeFs.ts).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isWriteTemp } from './safeFs.js';

export interface WalkEntry {
  readonly absolute: string;
  /** workspace-relative, `/`-separated */
  readonly relative: string;
  readonly kind: 'file' | 'dir' | 'symlink' | 'other';
}

export const SKIPPED_DIRS: ReadonlySet<string> = new Set(['.git', 'node_modules']);

export async function* walk(
  start: { readonly absolute: string; readonly relative: string },
  options: { readonly recursive: boolean; readonly signal?: AbortSignal | undefined },
): AsyncGenerator<WalkEntry> {
  const queue = [start];
  for (let dir = queue.shift(); dir !== undefined; dir = queue.shift()) {
    options.signal?.throwIfAborted();
    const entries = await readdir(dir.absolute, { withFileTypes: true }).catch(() => []);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (isWriteTemp(entry.name)) continue;
      const absolute = join(dir.absolute, entry.name);
      const relative = dir.relative === '.' ? entry.name : `${dir.relative}/${entry.name}`;
      const kind = entry.isSymbolicLink()
        ? 'symlink'
        : entry.isDirectory()
          ? 'dir'
          : entry.isFile()
            ? 'file'
            : 'other';
      yield { absolute, relative, kind };
      if (kind === 'dir' && options.recursive && !SKIPPED_DIRS.has(entry.name))
        queue.push({ absolute, relative });
    }
  }
}
