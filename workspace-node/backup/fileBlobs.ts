/**
 * Workspace files (`files/`, where the tools write and where artifacts.db points) backed up
 * content-addressed: each file's bytes are stored once as `blobs/<sha256>`, whatever its path and
 * however many backups include it. Incremental: a file whose size and mtime equal the previous
 * manifest's entry is not re-hashed, and a blob the previous manifest lists, or the store already
 * holds (head), is not uploaded again. Symbolic links and other non-regular files are skipped.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ObjectStore } from '../../storage/index.js';
import { blobKey, type FileEntry } from './manifest.js';
import { hashFile, putFile } from './transfer.js';

export interface BackedUpFiles {
  readonly files: FileEntry[];
  /** blobs uploaded by this run */
  readonly uploaded: number;
  readonly uploadedBytes: number;
}

/** Workspace-relative paths of the regular files under `root`, sorted. */
export function listFiles(root: string, rel = ''): string[] {
  let entries;
  try {
    entries = readdirSync(join(root, rel), { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(root, path));
    else if (e.isFile()) out.push(path);
  }
  return out;
}

/** Backs up every file under `filesDir`; `known`: blob keys the store is known to hold (updated). */
export async function backupFiles(
  store: ObjectStore,
  filesDir: string,
  previous: readonly FileEntry[] = [],
  known: Set<string> = new Set(),
): Promise<BackedUpFiles> {
  const before = new Map(previous.map((f) => [f.path, f]));
  const files: FileEntry[] = [];
  let uploaded = 0;
  let uploadedBytes = 0;
  for (const path of listFiles(filesDir)) {
    const abs = join(filesDir, path);
    const st = statSync(abs);
    const prev = before.get(path);
    const digest =
      prev && prev.size === st.size && prev.mtimeMs === st.mtimeMs
        ? { sha256: prev.sha256, size: prev.size }
        : await hashFile(abs);
    const blob = blobKey(digest.sha256);
    if (!known.has(blob)) {
      if (!(await store.head(blob))) {
        await putFile(store, blob, abs, digest);
        uploaded++;
        uploadedBytes += digest.size;
      }
      known.add(blob);
    }
    files.push({ path, ...digest, blob, mode: st.mode & 0o777, mtimeMs: st.mtimeMs });
  }
  return { files, uploaded, uploadedBytes };
}
