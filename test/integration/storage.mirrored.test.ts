/**
 * MirroredStore with real backends (fs and a real s3rver that is stopped and started again):
 * a mirror outage never fails a write and is caught up later, on a backoff timer or by catchUp();
 * with the primary down the write completes on the mirror and the primary catches up; a copy
 * whose bytes no longer match their sha256 is detected and the other copy is served (and the bad
 * one repaired). Time is simulated: backoffs fire when the test advances the clock.
 */
import { statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  FsObjectStore,
  MirroredStore,
  openStore,
  sha256Hex,
  type MirroredStoreOptions,
  type ObjectStore,
  type StorageEvent,
} from '../../storage/index.js';
import { startGcsWire } from '../fakes/gcsWire.js';
import { simulatedClock } from '../fakes/simulatedClock.js';
import { eventually, tempDir } from '../harness/util.js';
import { S3RVER_CLIENT, startS3rver, uniquePrefix, type RunningS3 } from './storage.kit.js';

let s3: RunningS3;
let s3Store: ObjectStore;
const dir = tempDir('moe-mirrored-');
const open: MirroredStore[] = [];

beforeAll(async () => {
  s3 = await startS3rver();
  s3Store = openStore(s3.url('mirror'), S3RVER_CLIENT);
});

afterEach(async () => {
  for (const m of open.splice(0)) m.close();
  await s3?.start(); // a test that failed while the server was stopped must not break the next one
});

afterAll(async () => {
  await s3?.dispose();
  dir.remove();
});

function mirrored(options: Partial<MirroredStoreOptions> & Pick<MirroredStoreOptions, 'primary' | 'mirror'>) {
  const events: StorageEvent[] = [];
  const clock = simulatedClock();
  const store = new MirroredStore({ clock, random: () => 1, onEvent: (e) => events.push(e), ...options });
  open.push(store);
  return { store, events, clock };
}

const fsStore = () => new FsObjectStore(join(dir.path, uniquePrefix()));

/** Changes bytes of an fs object without touching its size, mtime or recorded sha256 (bit rot). */
function rot(store: FsObjectStore, key: string, bytes: string): void {
  const path = join(store.root, ...key.split('/'));
  const { atime, mtime } = statSync(path);
  writeFileSync(path, bytes);
  utimesSync(path, atime, mtime);
}

describe('MirroredStore', () => {
  it('writes go to both copies; reads come from the mirror', async () => {
    const primary = fsStore();
    const mirror = fsStore();
    const { store } = mirrored({ primary, mirror });
    const key = 'ws/notes/x.md';
    await store.put(key, Buffer.from('hello'));
    expect((await primary.get(key)).toString()).toBe('hello');
    expect((await mirror.get(key)).toString()).toBe('hello');
    rot(primary, key, 'HELLO'); // the primary is not read while the mirror is good
    expect((await store.get(key)).toString()).toBe('hello');
    expect(store.stats()).toMatchObject({ readFallbacks: 0, pending: 0 });
  });

  it('a mirror outage never fails a write: it is reported, read from the primary, and caught up later', async () => {
    const primary = fsStore();
    const { store, events } = mirrored({ primary, mirror: s3Store });
    const p = uniquePrefix();
    await s3.stop();
    await store.put(`${p}/a`, Buffer.from('alpha'));
    await store.put(`${p}/b`, Readable.from([Buffer.from('be'), Buffer.from('ta')]));
    expect(
      events
        .filter((e) => e.type === 'write-failed')
        .map((e) => [e.copy, e.type === 'write-failed' && e.error.code]),
    ).toEqual([
      ['mirror', 'MOE_ERR_STORAGE_UNAVAILABLE'],
      ['mirror', 'MOE_ERR_STORAGE_UNAVAILABLE'],
    ]);
    expect(store.stats()).toMatchObject({ writeFailures: { primary: 0, mirror: 2 }, pending: 2 });
    expect(store.pending().map((x) => [x.key, x.target])).toEqual([
      [`${p}/a`, 'mirror'],
      [`${p}/b`, 'mirror'],
    ]);
    // The mirror is known to lack these: reads go straight to the primary.
    expect((await store.get(`${p}/b`)).toString()).toBe('beta');

    await s3.start();
    await store.catchUp();
    expect(store.stats()).toMatchObject({ pending: 0, caughtUp: 2 });
    expect(await s3Store.head(`${p}/b`)).toMatchObject({ size: 4, sha256: sha256Hex(Buffer.from('beta')) });
    expect(events.filter((e) => e.type === 'caught-up').map((e) => e.type === 'caught-up' && e.key)).toEqual([
      `${p}/a`,
      `${p}/b`,
    ]);
  });

  it('a catch-up copy the target refuses before reading closes the stream it opened on the source', async () => {
    const streams: Readable[] = [];
    const source = fsStore();
    /** `store` with one method replaced */
    const replacing = <K extends keyof ObjectStore>(
      store: ObjectStore,
      key: K,
      fn: ObjectStore[K],
    ): ObjectStore =>
      new Proxy(store, {
        get: (t, k) => {
          if (k === key) return fn;
          const v: unknown = Reflect.get(t, k);
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
        },
      });
    const primary = replacing(source, 'getStream', async (key, options) => {
      const s = await source.getStream(key, options);
      streams.push(s);
      return s;
    });
    const down = () =>
      Promise.reject(Object.assign(new Error('down'), { code: 'MOE_ERR_STORAGE_UNAVAILABLE' }));
    const { store } = mirrored({ primary, mirror: replacing(fsStore(), 'put', down) });
    const p = uniquePrefix();
    await store.put(`${p}/a`, Buffer.from('alpha'));
    await store.catchUp();
    expect(store.stats()).toMatchObject({ pending: 1, caughtUp: 0 });
    // read from the source for the copy, never read by the target: closed, not left to the GC
    expect(streams.length).toBeGreaterThan(0);
    for (const s of streams) expect(s.destroyed).toBe(true);
  });

  it('pending copies are retried on a backoff timer until the mirror is back', async () => {
    const { store, events, clock } = mirrored({ primary: fsStore(), mirror: s3Store });
    const key = `${uniquePrefix()}/k`;
    await s3.stop();
    await store.put(key, Buffer.from('k'));
    expect(store.pending()[0]).toMatchObject({ attempts: 1, dueAt: clock.now() + 1_000 });

    clock.advance(1_000); // first retry: the mirror is still down
    const failed = await eventually(() => events.find((e) => e.type === 'catch-up-failed'), {
      what: 'a failed retry',
    });
    expect(failed).toMatchObject({ copy: 'mirror', key, attempt: 2, retryInMs: 2_000 });
    await eventually(() => (clock.pendingDue.length === 1 ? true : undefined), {
      what: 'the next retry timer',
    });

    await s3.start();
    clock.advance(2_000);
    await eventually(() => (store.stats().pending === 0 ? true : undefined), { what: 'catch-up' });
    expect((await s3Store.get(key)).toString()).toBe('k');
  });

  it('with the primary down the write completes on the mirror, and the primary catches up', async () => {
    const mirror = fsStore();
    const { store, events } = mirrored({ primary: s3Store, mirror });
    const key = `${uniquePrefix()}/manifest.json`;
    await s3.stop();
    await store.put(key, Buffer.from('{"v":1}'), { contentType: 'application/json' });
    expect(events).toMatchObject([{ type: 'write-failed', copy: 'primary', key }]);
    expect((await store.get(key)).toString()).toBe('{"v":1}'); // restore reads the mirror
    expect(store.pending()).toMatchObject([{ key, target: 'primary', op: 'put' }]);

    await s3.start();
    await store.catchUp();
    expect((await s3Store.get(key)).toString()).toBe('{"v":1}');
    expect(await s3Store.head(key)).toMatchObject({ contentType: 'application/json' });
    expect(store.stats()).toMatchObject({ writeFailures: { primary: 1, mirror: 0 }, pending: 0 });
  });

  it('a corrupted copy is detected by its sha256, the other copy is served, and the bad one repaired', async () => {
    const primary = fsStore();
    const mirror = fsStore();
    const { store, events } = mirrored({ primary, mirror });
    const key = 'ws/db/sessions.db';
    await store.put(key, Buffer.from('good bytes'));
    rot(mirror, key, 'evil bytes');

    expect((await store.get(key)).toString()).toBe('good bytes');
    expect(events).toMatchObject([
      { type: 'integrity-mismatch', copy: 'mirror', key, error: { code: 'MOE_ERR_STORAGE_INTEGRITY' } },
    ]);
    expect(store.stats()).toMatchObject({ integrityMismatches: 1, pending: 1 });

    await store.catchUp();
    expect((await mirror.get(key)).toString()).toBe('good bytes');
  });

  it('an expected sha256 from a manifest picks the copy that matches it', async () => {
    const primary = fsStore();
    const mirror = fsStore();
    const { store } = mirrored({ primary, mirror });
    const key = 'files/a.txt';
    await primary.put(key, Buffer.from('v2'));
    await mirror.put(key, Buffer.from('v1')); // an older copy, consistent with itself
    expect((await store.get(key, { sha256: sha256Hex(Buffer.from('v2')) })).toString()).toBe('v2');
  });

  it('only both copies failing fails a read or a write, with one coded error', async () => {
    const primary = fsStore();
    const mirror = fsStore();
    const { store } = mirrored({ primary, mirror });
    await expect(store.get('nowhere')).rejects.toMatchObject({ code: 'MOE_ERR_STORAGE_NOT_FOUND' });
    await store.put('both', Buffer.from('same'));
    rot(primary, 'both', 'diff');
    rot(mirror, 'both', 'diff');
    await expect(store.get('both')).rejects.toMatchObject({ code: 'MOE_ERR_STORAGE_INTEGRITY' });

    const down = mirrored({ primary: s3Store, mirror: openStore(s3.url('other'), S3RVER_CLIENT) }).store;
    await s3.stop();
    await expect(down.put('x', Buffer.from('x'))).rejects.toMatchObject({
      code: 'MOE_ERR_STORAGE_UNAVAILABLE',
      details: { primary: 'MOE_ERR_STORAGE_UNAVAILABLE', mirror: 'MOE_ERR_STORAGE_UNAVAILABLE' },
    });
    expect(down.stats().pending).toBe(0);
  });

  it('a write racing a catch-up copy of the same key wins: the copies run one at a time per key', async () => {
    const mirror = fsStore();
    const { store } = mirrored({ primary: s3Store, mirror });
    const key = `${uniquePrefix()}/latest`;
    await s3.stop();
    await store.put(key, Buffer.from('v1')); // on the mirror only; the primary is behind
    await s3.start();
    const catchUp = store.catchUp();
    const write = store.put(key, Buffer.from('v2'));
    await Promise.all([catchUp, write]);
    expect((await s3Store.get(key)).toString()).toBe('v2');
    expect((await mirror.get(key)).toString()).toBe('v2');
    expect(store.stats().pending).toBe(0);
  });

  it('production layout: GCS primary answering 503, S3 mirror; the primary catches up', async () => {
    const gcs = await startGcsWire();
    try {
      const primary = openStore(`gs://moe-test/backups?endpoint=${encodeURIComponent(gcs.endpoint)}`, {
        gcs: { projectId: 'moe-test', retryOptions: { maxRetries: 1, maxRetryDelay: 1, totalTimeout: 10 } },
      });
      const { store, events } = mirrored({ primary, mirror: s3Store });
      const key = `${uniquePrefix()}/manifest.json`;
      gcs.down = true;
      await store.put(key, Buffer.from('{}'));
      expect(events).toMatchObject([{ type: 'write-failed', copy: 'primary' }]);
      gcs.down = false;
      await store.catchUp();
      expect(gcs.objectNames('moe-test')).toEqual([`backups/${key}`]);
      expect((await primary.get(key)).toString()).toBe('{}');
    } finally {
      await gcs.close();
    }
  });

  it('deletes reach both copies; one copy down is caught up, and list hides the deleted key', async () => {
    const primary = fsStore();
    const { store } = mirrored({ primary, mirror: s3Store });
    const p = uniquePrefix();
    await store.put(`${p}/keep`, Buffer.from('k'));
    await store.put(`${p}/drop`, Buffer.from('d'));
    await s3.stop();
    await store.delete(`${p}/drop`);
    const keys: string[] = [];
    for await (const e of store.list(`${p}/`)) keys.push(e.key);
    expect(keys).toEqual([`${p}/keep`]);
    await s3.start();
    await store.catchUp();
    expect(await s3Store.head(`${p}/drop`)).toBeUndefined();
  });
});
