/**
 * Shared parts of the storage tests: the contract every {@link ObjectStore} backend must keep
 * (run against fs, S3 via s3rver, and GCS via the wire fake), and a real s3rver on a free port
 * with a temp directory that can be stopped and started again on the same port (an outage).
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import S3rver from 's3rver';
import { describe, expect, it } from 'vitest';
import { sha256Hex, type ObjectStore, type OpenStoreOptions } from '../../storage/index.js';
import { tempDir } from '../harness/util.js';

export const S3_BUCKET = 'moe-test';

/** s3rver's fixed credentials, for the SDK's signer. */
export const S3RVER_CLIENT: OpenStoreOptions = {
  s3: { credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, maxAttempts: 2 },
};

export interface RunningS3 {
  readonly endpoint: string;
  /** `s3://moe-test/<prefix>?endpoint=…&forcePathStyle=true` */
  url(prefix: string): string;
  stop(): Promise<void>;
  /** starts again on the same port and directory (after `stop`) */
  start(): Promise<void>;
  /** stops the server and removes its directory */
  dispose(): Promise<void>;
}

export async function startS3rver(): Promise<RunningS3> {
  const dir = tempDir('moe-s3rver-');
  const make = (port: number) =>
    new S3rver({
      port,
      address: '127.0.0.1',
      directory: dir.path,
      silent: true,
      configureBuckets: [{ name: S3_BUCKET }],
    });
  let server: S3rver | undefined = make(0);
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    const s = server;
    server = undefined;
    await s?.close();
  };
  return {
    endpoint,
    url: (prefix) =>
      `s3://${S3_BUCKET}/${prefix}?endpoint=${encodeURIComponent(endpoint)}&forcePathStyle=true`,
    stop,
    start: async () => {
      if (server) return;
      server = make(port);
      await server.run();
    },
    dispose: async () => {
      await stop().catch(() => {});
      dir.remove();
    },
  };
}

/** A fresh key prefix per test, so one store serves a whole file. */
let run = 0;
export function uniquePrefix(): string {
  return `t${process.pid}-${Date.now()}-${run++}`;
}

/** The keys under `prefix`, sorted. */
export async function keysOf(store: ObjectStore, prefix?: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const e of store.list(prefix)) keys.push(e.key);
  return keys.sort();
}

async function streamToBuffer(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The behaviour every backend must show; `store()` is called inside the tests (after setup). */
export function objectStoreContract(name: string, store: () => ObjectStore): void {
  describe(`ObjectStore contract: ${name}`, () => {
    it('an object put is read back byte for byte, with its size and sha256', async () => {
      const s = store();
      const key = `${uniquePrefix()}/notes/x.md`;
      const body = Buffer.from('# notes\nhello\n');
      const put = await s.put(key, body, { contentType: 'text/markdown' });
      expect(put).toMatchObject({ size: body.length, sha256: sha256Hex(body) });
      expect(await s.get(key)).toEqual(body);
      expect(await s.head(key)).toMatchObject({ size: body.length, sha256: sha256Hex(body) });
    });

    it('a stream body is stored and streamed back', async () => {
      const s = store();
      const key = `${uniquePrefix()}/log.jsonl`;
      const lines = Array.from({ length: 500 }, (_, i) => `{"n":${i}}\n`);
      await s.put(key, Readable.from(lines.map((l) => Buffer.from(l))));
      expect((await streamToBuffer(await s.getStream(key))).toString()).toBe(lines.join(''));
    });

    it('a large-ish object (12 MiB, a resumable upload on GCS) round-trips by stream and by buffer', async () => {
      const s = store();
      const prefix = uniquePrefix();
      const big = randomBytes(12 * 1024 * 1024);
      await s.put(`${prefix}/big.bin`, big);
      const back = await s.get(`${prefix}/big.bin`);
      expect(sha256Hex(back)).toBe(sha256Hex(big));
      await s.put(`${prefix}/big2.bin`, Readable.from([big.subarray(0, 5e6), big.subarray(5e6)]), {
        sha256: sha256Hex(big),
      });
      expect((await s.head(`${prefix}/big2.bin`))?.size).toBe(big.length);
      expect(sha256Hex(await streamToBuffer(await s.getStream(`${prefix}/big2.bin`)))).toBe(sha256Hex(big));
    });

    // Order is not part of the contract: s3rver lists in file-system order, S3 and GCS by key.
    it('list yields every key under a string prefix, relative to the store', async () => {
      const s = store();
      const p = uniquePrefix();
      for (const k of ['b/2', 'a-c', 'a/1', 'a/2/deep', 'ab']) await s.put(`${p}/${k}`, Buffer.from(k));
      expect(await keysOf(s, `${p}/`)).toEqual(
        ['a-c', 'a/1', 'a/2/deep', 'ab', 'b/2'].map((k) => `${p}/${k}`),
      );
      expect(await keysOf(s, `${p}/a/`)).toEqual([`${p}/a/1`, `${p}/a/2/deep`]);
      expect(await keysOf(s, `${p}/a`)).toEqual(['a-c', 'a/1', 'a/2/deep', 'ab'].map((k) => `${p}/${k}`));
      expect(await keysOf(s, `${p}/nothing/`)).toEqual([]);
      const sizes = [];
      for await (const e of s.list(`${p}/b/`)) sizes.push(e.size);
      expect(sizes).toEqual([3]);
    });

    it('delete removes an object; deleting a missing key is fine', async () => {
      const s = store();
      const key = `${uniquePrefix()}/gone/x`;
      await s.put(key, Buffer.from('x'));
      await s.delete(key);
      expect(await s.head(key)).toBeUndefined();
      await s.delete(key);
      expect(await keysOf(s, key)).toEqual([]);
    });

    it('a put replaces the object and its sha256', async () => {
      const s = store();
      const key = `${uniquePrefix()}/v`;
      await s.put(key, Buffer.from('one'));
      await s.put(key, Buffer.from('two!'));
      expect((await s.get(key)).toString()).toBe('two!');
      expect(await s.head(key)).toMatchObject({ size: 4, sha256: sha256Hex(Buffer.from('two!')) });
    });

    it('a missing key is MOE_ERR_STORAGE_NOT_FOUND for get and getStream, undefined for head', async () => {
      const s = store();
      const key = `${uniquePrefix()}/missing`;
      await expect(s.get(key)).rejects.toMatchObject({ code: 'MOE_ERR_STORAGE_NOT_FOUND' });
      await expect(s.getStream(key)).rejects.toMatchObject({ code: 'MOE_ERR_STORAGE_NOT_FOUND' });
      expect(await s.head(key)).toBeUndefined();
    });

    it('a body that does not match the given sha256 is refused and not stored', async () => {
      const s = store();
      const key = `${uniquePrefix()}/bad`;
      await expect(
        s.put(key, Buffer.from('abc'), { sha256: sha256Hex(Buffer.from('abd')) }),
      ).rejects.toMatchObject({
        code: 'MOE_ERR_STORAGE_INTEGRITY',
      });
      await expect(
        s.put(key, Readable.from([Buffer.from('abc')]), { sha256: sha256Hex(Buffer.from('abd')) }),
      ).rejects.toMatchObject({ code: 'MOE_ERR_STORAGE_INTEGRITY' });
      expect(await s.head(key)).toBeUndefined();
    });

    it('a read that expects another sha256 (a manifest) fails with MOE_ERR_STORAGE_INTEGRITY', async () => {
      const s = store();
      const key = `${uniquePrefix()}/m`;
      await s.put(key, Buffer.from('content'));
      await expect(s.get(key, { sha256: sha256Hex(Buffer.from('other')) })).rejects.toMatchObject({
        code: 'MOE_ERR_STORAGE_INTEGRITY',
      });
      const stream = await s.getStream(key, { sha256: sha256Hex(Buffer.from('other')) });
      await expect(streamToBuffer(stream)).rejects.toMatchObject({ code: 'MOE_ERR_STORAGE_INTEGRITY' });
    });

    it('keys that could escape the prefix are MOE_ERR_STORAGE_KEY', async () => {
      const s = store();
      for (const key of ['', '/abs', 'a//b', '../x', 'a/./b', 'a\\b', '.moe-tmp/x'])
        await expect(s.put(key, Buffer.from('x')), key).rejects.toMatchObject({
          code: 'MOE_ERR_STORAGE_KEY',
        });
    });
  });
}
