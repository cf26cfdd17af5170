/**
 * MirroredStore with the primary down (storage/mirroredStore.ts). `head` of a key the mirror lacks
 * answers "absent" (as with the mirror down), so a backup's dedupe check does not fail it.
 * Catch-up is in order per copy: with the primary down, a
 * backup's objects and then its manifest complete on the mirror; when the primary is back and one
 * object's copy fails again (an outage), the manifest is held back until that object has landed,
 * both on the backoff timer and with catchUp(). So the primary never holds a manifest whose objects
 * it lacks. A copy that can never land (its source is corrupt) holds nothing back. Real fs stores;
 * the primary's outage is a switch in front of one; time is simulated.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FsObjectStore, MirroredStore, type ObjectStore, type StorageEvent } from '../../storage/index.js';
import { simulatedClock } from '../fakes/simulatedClock.js';
import { eventually, tempDir } from '../harness/util.js';

const dir = tempDir('moe-mirrored-order-');
const open: MirroredStore[] = [];
let n = 0;
afterEach(() => {
  for (const m of open.splice(0)) m.close();
});
afterAll(() => dir.remove());

/** A real fs store behind a switch: `down` fails everything, `failPutsOf` fails puts of one key. */
class Switchable implements ObjectStore {
  down = false;
  readonly failPutsOf = new Map<string, number>();
  constructor(readonly inner: FsObjectStore) {}
  get url(): string {
    return this.inner.url;
  }
  private check(key: string, put = false): void {
    const left = put ? (this.failPutsOf.get(key) ?? 0) : 0;
    if (left > 0) this.failPutsOf.set(key, left - 1);
    if (this.down || left > 0) throw new Error(`unreachable: ${key}`);
  }
  put: ObjectStore['put'] = async (k, b, o) => (this.check(k, true), this.inner.put(k, b, o));
  get: ObjectStore['get'] = async (k, o) => (this.check(k), this.inner.get(k, o));
  getStream: ObjectStore['getStream'] = async (k, o) => (this.check(k), this.inner.getStream(k, o));
  head: ObjectStore['head'] = async (k) => (this.check(k), this.inner.head(k));
  list: ObjectStore['list'] = (p) => {
    this.check(p ?? '');
    return this.inner.list(p);
  };
  delete: ObjectStore['delete'] = async (k) => (this.check(k), this.inner.delete(k));
}

function setup() {
  const primary = new Switchable(new FsObjectStore(join(dir.path, `p${++n}`)));
  const mirror = new FsObjectStore(join(dir.path, `m${n}`));
  const clock = simulatedClock();
  const events: StorageEvent[] = [];
  const store = new MirroredStore({
    primary,
    mirror,
    clock,
    random: () => 1,
    onEvent: (e) => events.push(e),
  });
  open.push(store);
  const caughtUp = () => events.filter((e) => e.type === 'caught-up').map((e) => (e as { key: string }).key);
  return { primary, mirror, clock, store, caughtUp };
}

const BACKUP = ['b1/db/sessions.db.gz', 'b1/blobs/aa', 'b1/blobs/bb'];
const MANIFEST = 'b1/manifests/b1.json';

describe('MirroredStore with the primary down', () => {
  it('head: a key the mirror lacks is absent, not an outage; one the mirror holds is found', async () => {
    const { primary, store } = setup();
    await store.put('b1/blobs/held', Buffer.from('held'));
    primary.down = true;
    expect(await store.head('b1/blobs/new')).toBeUndefined();
    expect(await store.head('b1/blobs/held')).toMatchObject({ size: 4 });
    await store.put('b1/blobs/new', Buffer.from('new')); // completes on the mirror
    expect(await store.head('b1/blobs/new')).toMatchObject({ size: 3 });
  });

  it('with catchUp(): a manifest waits for the objects written before it', async () => {
    const { primary, store, caughtUp } = setup();
    primary.down = true;
    for (const k of [...BACKUP, MANIFEST]) await store.put(k, Buffer.from(k)); // completes on the mirror
    expect(store.pending().map((p) => p.key)).toEqual([...BACKUP, MANIFEST]);

    primary.down = false;
    primary.failPutsOf.set('b1/blobs/aa', 1); // the primary flaps once more
    await store.catchUp();
    expect(await primary.inner.head('b1/db/sessions.db.gz')).toBeDefined();
    expect(await primary.inner.head('b1/blobs/aa')).toBeUndefined();
    expect(await primary.inner.head(MANIFEST)).toBeUndefined(); // held back, not landed over a gap
    expect(store.pending().map((p) => p.key)).toEqual(['b1/blobs/aa', 'b1/blobs/bb', MANIFEST]);

    await store.catchUp();
    expect(caughtUp()).toEqual([...BACKUP, MANIFEST]);
    for (const k of [...BACKUP, MANIFEST]) expect((await primary.inner.get(k)).toString()).toBe(k);
    expect(store.stats().pending).toBe(0);
  });

  it('on the backoff timer: a copy due earlier still waits for an earlier one that failed', async () => {
    const { primary, clock, store, caughtUp } = setup();
    primary.down = true;
    for (const k of [...BACKUP, MANIFEST]) await store.put(k, Buffer.from(k));
    primary.down = false;
    primary.failPutsOf.set('b1/blobs/aa', 1);
    clock.advance(1_000); // every copy is due: sessions.db lands, aa fails (due again in 2 s)
    await eventually(
      () => (caughtUp().length === 1 && store.pending()[0]?.attempts === 2 ? true : undefined),
      {
        what: 'first timer drain',
      },
    );
    // bb and the manifest were due (first backoff) but wait behind aa
    expect(await primary.inner.head(MANIFEST)).toBeUndefined();
    expect(await primary.inner.head('b1/blobs/bb')).toBeUndefined();
    clock.advance(2_000);
    await eventually(() => (store.stats().pending === 0 ? true : undefined), { what: 'catch-up' });
    expect(caughtUp()).toEqual([...BACKUP, MANIFEST]);
  });

  it('a copy that can never land (corrupt source) holds nothing back', async () => {
    const { primary, mirror, store, caughtUp } = setup();
    primary.down = true;
    for (const k of [...BACKUP, MANIFEST]) await store.put(k, Buffer.from(k));
    // bit rot on the only copy of bb: same size, new bytes; its sha256 no longer matches
    writeFileSync(join(mirror.root, 'b1', 'blobs', 'bb'), 'b1/blobs/xx');
    primary.down = false;
    await store.catchUp();
    expect(caughtUp()).toEqual(['b1/db/sessions.db.gz', 'b1/blobs/aa', MANIFEST]);
    expect(store.pending().map((p) => p.key)).toEqual(['b1/blobs/bb']);
  });

  it('on the timer too: a copy that failed for good does not hold back copies recorded after it', async () => {
    const { primary, mirror, clock, store, caughtUp } = setup();
    primary.down = true;
    await store.put('b1/blobs/bb', Buffer.from('b1/blobs/bb'));
    writeFileSync(join(mirror.root, 'b1', 'blobs', 'bb'), 'b1/blobs/xx');
    primary.down = false;
    clock.advance(1_000); // bb fails for good; its next try is 2 s away
    await eventually(() => (store.pending()[0]?.attempts === 2 ? true : undefined), { what: 'bb tried' });
    primary.down = true;
    await store.put('b2/blobs/cc', Buffer.from('cc')); // due in 1 s, before bb's next try
    primary.down = false;
    clock.advance(1_000);
    await eventually(() => (caughtUp().includes('b2/blobs/cc') ? true : undefined), {
      what: 'cc caught up before bb is due again',
    });
    expect(store.pending().map((p) => p.key)).toEqual(['b1/blobs/bb']);
  });
});
