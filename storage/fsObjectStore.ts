/**
 * The embedded backend: objects are plain files under a directory (default
 * `<MOE_DATA_DIR>/backups`), readable with ordinary tools.
 *
 * Writes are atomic: the body goes to `.moe-tmp/<uuid>`, is fsynced, and is renamed into place (the
 * directory is fsynced too), so a crash leaves the old object or the new one, never half of one.
 * The sha256 lives in a sidecar `.moe-meta/<key>.json`. The old sidecar is removed *before* the new
 * file is renamed in and the new one written after it, so a crash can leave an object without a
 * recorded hash, but never with a wrong one. Concurrent puts of the same key with different content
 * may leave a mismatching sidecar (content-addressed keys never differ in content).
 *
 * Unlike a bucket, a directory cannot hold both `a` and `a/b`: such a put fails with
 * MOE_ERR_STORAGE_KEY.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { isMoeError } from '../schemas/index.js';
import { checkSha, sha256Hex, verifyBuffer, verifyingStream } from './body.js';
import { errors } from './errors.js';
import { checkKey } from './keys.js';
import type {
  GetOptions,
  ListEntry,
  ObjectBody,
  ObjectInfo,
  ObjectStore,
  PutOptions,
} from './objectStore.js';

interface Sidecar {
  readonly sha256: string;
  readonly size: number;
  readonly contentType?: string;
}

export class FsObjectStore implements ObjectStore {
  readonly url: string;
  private readonly tmpDir: string;
  private readonly metaDir: string;

  /** @example new FsObjectStore('/var/lib/moe/backups') */
  constructor(readonly root: string) {
    this.url = pathToFileURL(root).href;
    this.tmpDir = join(root, '.moe-tmp');
    this.metaDir = join(root, '.moe-meta');
  }

  async put(
    key: string,
    body: ObjectBody,
    options: PutOptions = {},
  ): Promise<ObjectInfo & { sha256: string }> {
    checkKey(key);
    const target = this.pathOf(key);
    const tmp = join(this.tmpDir, randomUUID());
    try {
      await mkdir(this.tmpDir, { recursive: true });
      // A stream is hashed while it is written to the temp file: no second copy.
      const written = await writeDurably(tmp, body);
      checkSha(key, written.sha256, options.sha256);
      const sidecar = this.sidecarOf(key);
      await rm(sidecar, { force: true });
      await mkdir(dirname(target), { recursive: true });
      await rename(tmp, target).catch((err: NodeJS.ErrnoException) => {
        throw err.code === 'EISDIR' ? errors.KEY(`${key} is a folder of other keys`, { cause: err }) : err;
      });
      await fsyncDir(dirname(target));
      const meta: Sidecar = { ...written, contentType: options.contentType };
      await mkdir(dirname(sidecar), { recursive: true });
      const metaTmp = join(this.tmpDir, randomUUID());
      await writeDurably(metaTmp, Buffer.from(JSON.stringify(meta)));
      await rename(metaTmp, sidecar);
      return meta;
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => {});
      throw fsError(key, err);
    }
  }

  async get(key: string, options: GetOptions = {}): Promise<Buffer> {
    checkKey(key);
    try {
      const [data, meta] = await Promise.all([readFile(this.pathOf(key)), this.readSidecar(key)]);
      if (meta && meta.size !== data.length)
        throw errors.INTEGRITY(`${key}: ${data.length} bytes, ${meta.size} recorded`);
      return verifyBuffer(key, data, meta?.sha256, options.sha256);
    } catch (err) {
      throw fsError(key, err);
    }
  }

  async getStream(key: string, options: GetOptions = {}): Promise<Readable> {
    checkKey(key);
    try {
      const meta = await this.readSidecar(key);
      const handle = await open(this.pathOf(key), 'r');
      const stream = handle.createReadStream();
      return verifyingStream(key, stream, [meta?.sha256, options.sha256], (err) => fsError(key, err));
    } catch (err) {
      throw fsError(key, err);
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    checkKey(key);
    try {
      const s = await stat(this.pathOf(key));
      if (!s.isFile()) return undefined;
      const meta = await this.readSidecar(key);
      return { size: s.size, sha256: meta?.sha256, contentType: meta?.contentType };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw fsError(key, err);
    }
  }

  async *list(prefix = ''): AsyncIterable<ListEntry> {
    // Start at the deepest folder the prefix names in full, then filter by the string prefix.
    const slash = prefix.lastIndexOf('/');
    const base = slash < 0 ? '' : prefix.slice(0, slash);
    if (base !== '') checkKey(base);
    try {
      for await (const entry of this.walk(base)) if (entry.key.startsWith(prefix)) yield entry;
    } catch (err) {
      throw fsError(prefix, err);
    }
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    try {
      await rm(this.sidecarOf(key), { force: true });
      await rm(this.pathOf(key), { force: true });
      await this.pruneEmptyParents(key);
    } catch (err) {
      throw fsError(key, err);
    }
  }

  private pathOf(key: string): string {
    return join(this.root, ...key.split('/'));
  }

  private sidecarOf(key: string): string {
    return `${join(this.metaDir, ...key.split('/'))}.json`;
  }

  private async readSidecar(key: string): Promise<Sidecar | undefined> {
    try {
      return JSON.parse(await readFile(this.sidecarOf(key), 'utf8')) as Sidecar;
    } catch (err) {
      if (isNotFound(err) || err instanceof SyntaxError) return undefined;
      throw err;
    }
  }

  /** Depth-first in key order: a folder sorts as `name/`, so the output is sorted like a bucket's. */
  private async *walk(dirKey: string): AsyncGenerator<ListEntry> {
    const dir = dirKey === '' ? this.root : this.pathOf(dirKey);
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isNotFound(err) || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return;
      throw err;
    }
    const named = entries
      .filter((e) => !(dirKey === '' && (e.name === '.moe-tmp' || e.name === '.moe-meta')))
      .map((e) => ({ e, sortKey: e.isDirectory() ? `${e.name}/` : e.name }))
      .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
    for (const { e } of named) {
      const key = dirKey === '' ? e.name : `${dirKey}/${e.name}`;
      if (e.isDirectory()) yield* this.walk(key);
      else if (e.isFile()) yield { key, size: (await stat(join(dir, e.name))).size };
    }
  }

  private async pruneEmptyParents(key: string): Promise<void> {
    const parts = key.split('/').slice(0, -1);
    for (let n = parts.length; n > 0; n--) {
      const folder = parts.slice(0, n);
      for (const base of [this.root, this.metaDir]) {
        await rmdir(join(base, ...folder)).catch(() => {});
      }
    }
  }
}

/** Writes, fsyncs and closes `path`; returns the body's size and sha256. */
async function writeDurably(
  path: string,
  body: Buffer | Readable,
): Promise<{ size: number; sha256: string }> {
  const handle = await open(path, 'w');
  try {
    if (Buffer.isBuffer(body)) {
      await handle.writeFile(body);
      await handle.sync();
      return { size: body.length, sha256: sha256Hex(body) };
    }
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of body) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      hash.update(bytes);
      size += bytes.length;
      await handle.write(bytes);
    }
    await handle.sync();
    return { size, sha256: hash.digest('hex') };
  } finally {
    await handle.close();
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'EISDIR';
}

function fsError(key: string, err: unknown): Error {
  if (isMoeError(err)) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (isNotFound(err)) return errors.NOT_FOUND(key, { cause: err });
  if (code === 'ENOTDIR' || code === 'EEXIST')
    return errors.KEY(`${key} clashes with another key's folder`, { cause: err });
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return errors.DENIED(key, { cause: err });
  return errors.UNAVAILABLE(`${key}: ${(err as Error).message}`, { cause: err });
}
