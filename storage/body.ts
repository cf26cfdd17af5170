/**
 * Bodies and hashes shared by the backends: sha256 of buffers and streams, spooling a stream to a
 * temp file (both clouds want the sha256 as object metadata before the upload starts, and S3 wants
 * a length), and a pass-through that fails a download whose bytes do not match the expected hash.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { errors } from './errors.js';
import type { ObjectBody } from './objectStore.js';

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A body whose size and sha256 are known; `open()` may be called more than once (mirroring). */
export interface PreparedBody {
  readonly size: number;
  readonly sha256: string;
  /** set when the body is in memory */
  readonly buffer: Buffer | undefined;
  open(): Buffer | Readable;
  dispose(): Promise<void>;
}

/** Hashes a buffer, or spools a stream to a temp file while hashing it; checks `expectedSha256`. */
export async function prepareBody(
  key: string,
  body: ObjectBody,
  expectedSha256?: string,
): Promise<PreparedBody> {
  if (Buffer.isBuffer(body)) {
    const prepared: PreparedBody = {
      size: body.length,
      sha256: sha256Hex(body),
      buffer: body,
      open: () => body,
      dispose: async () => {},
    };
    checkSha(key, prepared.sha256, expectedSha256);
    return prepared;
  }
  const path = join(tmpdir(), `moe-storage-${randomUUID()}`);
  const tap = hashTap();
  const dispose = () => rm(path, { force: true });
  try {
    await pipeline(body, tap.stream, createWriteStream(path));
    const { size, sha256 } = tap.result();
    checkSha(key, sha256, expectedSha256);
    return { size, sha256, buffer: undefined, open: () => createReadStream(path), dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}

/** Throws MOE_ERR_STORAGE_INTEGRITY when `expected` is given and differs from `actual`. */
export function checkSha(key: string, actual: string, expected: string | undefined): void {
  if (expected !== undefined && expected.toLowerCase() !== actual)
    throw errors.INTEGRITY(`${key}: expected ${expected}, got ${actual}`, {
      details: { key, expected, actual },
    });
}

/** Checks a downloaded buffer against every expected hash that is known. */
export function verifyBuffer(key: string, data: Buffer, ...expected: (string | undefined)[]): Buffer {
  const wanted = expected.filter((e): e is string => e !== undefined);
  if (wanted.length === 0) return data;
  const actual = sha256Hex(data);
  for (const e of wanted) checkSha(key, actual, e);
  return data;
}

/**
 * `source` read through a hash; the returned stream errors at its end on a mismatch. Errors of
 * the source pass through `mapError` (a backend's SDK error → the catalogue). Lazy: nothing is
 * read (and no error raised) until the stream is consumed, so a caller may await other work
 * (open its target, mkdir) before it starts reading without a mismatch going unheard — a
 * transform whose flush failed before anyone listened was an uncaught exception.
 */
export function verifyingStream(
  key: string,
  source: Readable,
  expected: readonly (string | undefined)[],
  mapError: (err: unknown) => Error = (err) => err as Error,
): Readable {
  const wanted = expected.filter((e): e is string => e !== undefined);
  const hash = createHash('sha256');
  async function* verified(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of source) {
        const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
        if (wanted.length > 0) hash.update(bytes);
        yield bytes;
      }
    } catch (err) {
      throw mapError(err);
    }
    if (wanted.length === 0) return;
    const actual = hash.digest('hex');
    for (const e of wanted) checkSha(key, actual, e);
  }
  const out = Readable.from(verified(), { objectMode: false });
  // a consumer that stops early (destroy) closes the source too
  out.once('close', () => source.destroy());
  return out;
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}

export function toStream(body: Buffer | Readable): Readable {
  return Buffer.isBuffer(body) ? Readable.from([body]) : body;
}

/** A pass-through that counts and hashes what flows through it. */
export function hashTap(): { stream: Transform; result(): { size: number; sha256: string } } {
  const hash = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  return { stream, result: () => ({ size, sha256: hash.digest('hex') }) };
}
