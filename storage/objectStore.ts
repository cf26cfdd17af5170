/**
 * The one seam every backup and restore goes through: a flat key → bytes store with a sha256 per
 * object. Keys are '/'-separated relative paths under the store's URL prefix (see keys.ts).
 * Backends: {@link FsObjectStore}, {@link GcsObjectStore}, {@link S3ObjectStore}; a
 * {@link MirroredStore} pairs two of them. Every failure is a coded error from errors.ts.
 */
import type { Readable } from 'node:stream';

/** What a put accepts: bytes in memory, or a stream (spooled to a temp file to learn its sha256). */
export type ObjectBody = Buffer | Readable;

export interface PutOptions {
  /** expected sha256 (hex) of the body; a mismatch fails the put with MOE_ERR_STORAGE_INTEGRITY */
  readonly sha256?: string;
  readonly contentType?: string;
}

export interface GetOptions {
  /** expected sha256 (hex), e.g. from a backup manifest; checked in addition to the stored one */
  readonly sha256?: string;
}

export interface ObjectInfo {
  readonly size: number;
  /** hex sha256 recorded at put time; absent for objects written by other tools */
  readonly sha256?: string;
  readonly contentType?: string;
}

export interface ListEntry {
  /** key relative to the store's prefix */
  readonly key: string;
  readonly size: number;
}

export interface ObjectStore {
  /** where the store points (for logs and events); never carries credentials */
  readonly url: string;
  /** Writes the whole object or nothing; resolves with its size and sha256. */
  put(key: string, body: ObjectBody, options?: PutOptions): Promise<ObjectInfo & { sha256: string }>;
  /** The object's bytes, checked against its stored sha256 (and `options.sha256`). */
  get(key: string, options?: GetOptions): Promise<Buffer>;
  /** The object as a stream; a sha256 mismatch errors the stream at its end. */
  getStream(key: string, options?: GetOptions): Promise<Readable>;
  /** Size and sha256, or undefined when there is no such object. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /**
   * Every object whose key starts with `prefix` (a string prefix, not only a folder). fs, GCS and
   * AWS S3 list in key order; not every S3-compatible server does, so callers must not rely on it.
   */
  list(prefix?: string): AsyncIterable<ListEntry>;
  /** Removes the object; deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
}
