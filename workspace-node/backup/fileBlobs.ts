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

/** Files hashed and uploaded at once: overlaps each object's fsync with the next file's read. */
const FILE_CONCURRENCY = 8;

/** Backs up every file under `filesDir`; `known`: blob keys the store is known to hold (updated). */
export async function backupFiles(
  store: ObjectStore,
  filesDir: string,
  previous: readonly FileEntry[] = [],
  known: Set<string> = new Set(),
): Promise<BackedUpFiles> {
  const before = new Map(previous.map((f) => [f.path, f]));
  const paths = listFiles(filesDir);
  const files = new Array<FileEntry>(paths.length);
  // one upload per blob, however many files share its bytes
  const uploads = new Map<string, Promise<void>>();
  let uploaded = 0;
  let uploadedBytes = 0;

  const backUp = async (path: string): Promise<FileEntry> => {
    const abs = join(filesDir, path);
    const st = statSync(abs);
    const prev = before.get(path);
    const digest =
      prev && prev.size === st.size && prev.mtimeMs === st.mtimeMs
        ? { sha256: prev.sha256, size: prev.size }
        : await hashFile(abs);
    const blob = blobKey(digest.sha256);
    if (!known.has(blob)) {
      let upload = uploads.get(blob);
      if (!upload) {
        upload = (async () => {
          if (!(await store.head(blob))) {
            await putFile(store, blob, abs, digest);
            uploaded++;
            uploadedBytes += digest.size;
          }
          known.add(blob);
        })();
        uploads.set(blob, upload);
      }
      await upload;
    }
    return { path, ...digest, blob, mode: st.mode & 0o777, mtimeMs: st.mtimeMs };
  };

  // A few workers take the files in order; after a failure they take no more, and the first
  // failure is thrown once every upload in flight has ended (nothing keeps writing after we return).
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < paths.length) {
      const i = next++;
      try {
        files[i] = await backUp(paths[i]!);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const results = await Promise.allSettled(
    Array.from({ length: Math.min(FILE_CONCURRENCY, paths.length) }, worker),
  );
  const failure = results.find((r) => r.status === 'rejected');
  if (failure) throw failure.reason;
  return { files, uploaded, uploadedBytes };
}
