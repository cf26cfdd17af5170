/**
 * The S3-compatible backend with the real `@aws-sdk/client-s3` against a real s3rver started here
 * (free port, temp dir, stopped in afterAll even when a test fails): the shared contract, the
 * prefix under the bucket, and an outage surfacing as a retryable coded error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type ObjectStore } from '../../storage/index.js';
import {
  objectStoreContract,
  S3RVER_CLIENT,
  startS3rver,
  uniquePrefix,
  type RunningS3,
} from './storage.kit.js';

let s3: RunningS3;
let store: ObjectStore;

beforeAll(async () => {
  s3 = await startS3rver();
  store = openStore(s3.url('backups/prod'), S3RVER_CLIENT);
});

afterAll(async () => {
  await s3?.dispose();
});

objectStoreContract('s3 (s3rver)', () => store);

describe('S3ObjectStore', () => {
  it('keeps objects under the URL prefix and lists keys relative to it', async () => {
    const p = uniquePrefix();
    await store.put(`${p}/a.txt`, Buffer.from('a'));
    const bucketRoot = openStore(s3.url(''), S3RVER_CLIENT);
    expect(await bucketRoot.head(`backups/prod/${p}/a.txt`)).toMatchObject({ size: 1 });
    const keys: string[] = [];
    for await (const e of store.list(p)) keys.push(e.key);
    expect(keys).toEqual([`${p}/a.txt`]);
  });

  it('a stopped server is MOE_ERR_STORAGE_UNAVAILABLE (retryable), and it works again once back', async () => {
    const key = `${uniquePrefix()}/x`;
    await s3.stop();
    try {
      await expect(store.put(key, Buffer.from('x'))).rejects.toMatchObject({
        code: 'MOE_ERR_STORAGE_UNAVAILABLE',
        retryable: true,
      });
      await expect(store.get(key)).rejects.toMatchObject({ code: 'MOE_ERR_STORAGE_UNAVAILABLE' });
    } finally {
      await s3.start();
    }
    await store.put(key, Buffer.from('x'));
    expect((await store.get(key)).toString()).toBe('x');
  });
});
