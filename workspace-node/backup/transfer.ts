/**
 * Moving bytes between local files and the object store, every byte checked: sha256 of a file (or
 * a byte range of it), uploads of files as they are (blobs) or gzip-compressed (database snapshots,
 * log segments), and downloads that check the stored sha256 and, for compressed objects, the
 * sha256 and size of the decompressed content. A mismatch or a missing object is
 * MOE_ERR_BACKUP_INTEGRITY (a {@link MirroredStore} has already tried its other copy by then).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, statSync, truncateSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { hashTap, type ObjectStore } from '../../storage/index.js';
import { errors } from '../errors.js';
import type { CompressedObject, StoredObject } from './manifest.js';

export interface Digest {
  readonly sha256: string;
  readonly size: number;
}

/** Byte range [start, end) of a file; the whole file when omitted. */
export interface Range {
  readonly start: number;
  readonly end: number;
}

function readRange(path: string, range?: Range): Readable {
  return createReadStream(path, range ? { start: range.start, end: range.end - 1 } : {});
}

/** sha256 and size of a file or of a byte range of it. */
export async function hashFile(path: string, range?: Range): Promise<Digest> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of readRange(path, range)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** Puts `body` (made from local files); destroys it when the put fails before reading it all. */
async function putStream(
  store: ObjectStore,
  key: string,
  body: Readable,
  options: Parameters<ObjectStore['put']>[2],
): Promise<StoredObject> {
  try {
    const info = await store.put(key, body, options);
    return { key, sha256: info.sha256, size: info.size };
  } catch (err) {
    body.destroy();
    throw err;
  }
}

/** Uploads the file's bytes as they are, checked against `expected` by the store. */
export function putFile(
  store: ObjectStore,
  key: string,
  path: string,
  expected: Digest,
): Promise<StoredObject> {
  return putStream(store, key, readRange(path), { sha256: expected.sha256 });
}

/** Uploads the file (or a range of it) gzip-compressed; `raw` is the digest of the uncompressed bytes. */
export async function putCompressed(
  store: ObjectStore,
  key: string,
  path: string,
  raw: Digest,
  range?: Range,
): Promise<CompressedObject> {
  const source = readRange(path, range);
  const gzip = createGzip();
  source.on('error', (e) => gzip.destroy(e));
  gzip.on('close', () => source.destroy());
  const stored = await putStream(store, key, source.pipe(gzip), { contentType: 'application/gzip' });
  return { ...stored, rawSha256: raw.sha256, rawSize: raw.size };
}

function integrity(key: string, cause: unknown): Error {
  const code = (cause as { code?: string }).code;
  if (code === 'MOE_ERR_BACKUP_INTEGRITY') return cause as Error;
  if (code === 'MOE_ERR_STORAGE_INTEGRITY' || code === 'MOE_ERR_STORAGE_NOT_FOUND')
    return errors.BACKUP_INTEGRITY(`${key}: ${(cause as Error).message}`, { cause });
  if (typeof code === 'string' && code.startsWith('Z_'))
    return errors.BACKUP_INTEGRITY(`${key}: not valid gzip (${(cause as Error).message})`, { cause });
  return cause as Error;
}

function checkDigest(key: string, got: Digest, want: Digest): void {
  if (got.sha256 !== want.sha256 || got.size !== want.size)
    throw errors.BACKUP_INTEGRITY(
      `${key}: content sha256 ${got.sha256} (${got.size} bytes), manifest says ${want.sha256} (${want.size} bytes)`,
    );
}

/**
 * Hands the object's bytes to `sink` as a stream. A stream detects a sha256 mismatch only at its
 * end, when a MirroredStore can no longer switch copies; so after a mismatch (or a gzip error) the
 * object is asked for again with a buffered get, which a MirroredStore answers from the other copy
 * (and repairs).
 */
async function download(
  store: ObjectStore,
  object: StoredObject,
  sink: (body: Readable) => Promise<void>,
): Promise<void> {
  try {
    await sink(await store.getStream(object.key, { sha256: object.sha256 }));
  } catch (first) {
    // corrupt bytes may fail gunzip (Z_DATA_ERROR) before the stream reaches its sha256 check
    const code = (first as { code?: string }).code ?? '';
    if (code !== 'MOE_ERR_STORAGE_INTEGRITY' && !code.startsWith('Z_')) throw first;
    await sink(Readable.from([await store.get(object.key, { sha256: object.sha256 })]));
  }
}

/** Downloads an object to `dest` (created), checking its sha256 and size against the manifest. */
export async function getFile(store: ObjectStore, object: StoredObject, dest: string): Promise<void> {
  let count = hashTap();
  try {
    await download(store, object, (body) => {
      count = hashTap();
      return pipeline(body, count.stream, createWriteStream(dest, { flags: 'w' }));
    });
  } catch (cause) {
    throw integrity(object.key, cause);
  }
  checkDigest(object.key, count.result(), object);
}

/**
 * Downloads a compressed object and writes its decompressed content to `dest` (`append`: added at
 * the end, for the segments of one log), checking both the stored and the decompressed sha256.
 */
export async function getDecompressed(
  store: ObjectStore,
  object: CompressedObject,
  dest: string,
  append = false,
): Promise<void> {
  let stored = hashTap();
  let raw = hashTap();
  // where an append starts, so that a retry overwrites what a failed attempt wrote
  const at = append && existsSync(dest) ? statSync(dest).size : 0;
  try {
    await download(store, object, (body) => {
      stored = hashTap();
      raw = hashTap();
      if (append) truncateSync(dest, at);
      return pipeline(
        body,
        stored.stream,
        createGunzip(),
        raw.stream,
        createWriteStream(dest, append ? { flags: 'r+', start: at } : { flags: 'w' }),
      );
    });
  } catch (cause) {
    throw integrity(object.key, cause);
  }
  checkDigest(object.key, stored.result(), object);
  checkDigest(object.key, raw.result(), { sha256: object.rawSha256, size: object.rawSize });
}
