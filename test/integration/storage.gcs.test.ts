/**
 * The GCS backend with the real `@google-cloud/storage` SDK against the wire-level fake in
 * test/fakes/gcsWire.ts: the shared contract (simple and resumable uploads, alt=media downloads,
 * listing pages), bit rot caught by the SDK's crc32c or our sha256, and an outage as a coded error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GcsObjectStore, openStore, type ObjectStore } from '../../storage/index.js';
import { startGcsWire, type GcsWire } from '../fakes/gcsWire.js';
import { keysOf, objectStoreContract, uniquePrefix } from './storage.kit.js';

const BUCKET = 'moe-test';
// async-retry wants maxRetryDelay ≥ 1 s; one quick retry keeps the outage test short.
const client = { projectId: 'moe-test', retryOptions: { maxRetries: 1, maxRetryDelay: 1, totalTimeout: 10 } };
let gcs: GcsWire;
let store: ObjectStore;

beforeAll(async () => {
  gcs = await startGcsWire();
  store = openStore(`gs://${BUCKET}/backups?endpoint=${encodeURIComponent(gcs.endpoint)}`, { gcs: client });
});

afterAll(async () => {
  await gcs?.close();
});

objectStoreContract('gcs (wire fake)', () => store);

describe('GcsObjectStore', () => {
  it('small buffers go in one multipart request, large bodies and streams resumably', async () => {
    const p = uniquePrefix();
    const before = gcs.requests.length;
    await store.put(`${p}/small`, Buffer.from('s'));
    await store.put(`${p}/big`, Buffer.alloc(9 * 1024 * 1024, 1));
    const uploads = gcs.requests.slice(before).filter((r) => r.method === 'POST' && r.uploadType);
    expect(uploads.map((r) => r.uploadType)).toEqual(['multipart', 'resumable']);
    expect(gcs.objectNames(BUCKET)).toContain(`backups/${p}/big`);
  });

  it('lists across pages (pageToken)', async () => {
    const p = uniquePrefix();
    const paged = new GcsObjectStore({
      bucket: BUCKET,
      prefix: 'backups',
      endpoint: gcs.endpoint,
      pageSize: 2,
      client,
    });
    const keys = ['a', 'b', 'c', 'd', 'e'].map((k) => `${p}/${k}`);
    for (const k of keys) await paged.put(k, Buffer.from(k));
    const before = gcs.requests.length;
    expect(await keysOf(paged, `${p}/`)).toEqual(keys);
    expect(gcs.requests.slice(before).filter((r) => r.method === 'GET')).toHaveLength(3);
  });

  it('a byte flipped in storage is MOE_ERR_STORAGE_INTEGRITY on read', async () => {
    const key = `${uniquePrefix()}/rot`;
    await store.put(key, Buffer.from('precious bytes'));
    gcs.corrupt(BUCKET, `backups/${key}`);
    await expect(store.get(key)).rejects.toMatchObject({ code: 'MOE_ERR_STORAGE_INTEGRITY' });
  });

  it('a server answering 503 is MOE_ERR_STORAGE_UNAVAILABLE (retryable)', async () => {
    const key = `${uniquePrefix()}/x`;
    gcs.down = true;
    try {
      await expect(store.put(key, Buffer.from('x'))).rejects.toMatchObject({
        code: 'MOE_ERR_STORAGE_UNAVAILABLE',
        retryable: true,
      });
      await expect(store.head(key)).rejects.toMatchObject({ code: 'MOE_ERR_STORAGE_UNAVAILABLE' });
    } finally {
      gcs.down = false;
    }
    await store.put(key, Buffer.from('x'));
    expect(await store.head(key)).toMatchObject({ size: 1 });
  });
});
