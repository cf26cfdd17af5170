/**
 * `pruneBackups` (issue 8 item 8) on real SQLite backups in an fs object store: it keeps exactly
 * what the retention policy says, the kept backups still verify (sha256s, integrity_check),
 * objects only dropped backups listed are gone while the ones kept backups list stay; a crash
 * mid-prune leaves every kept backup restorable and the next prune finishes the job; an unreadable
 * manifest stops collection; a deleted workspace keeps its backups for its window, then loses all.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FsObjectStore, type ObjectStore } from '../../storage/index.js';
import {
  DAY_MS,
  listBackups,
  pruneBackups,
  verifyBackup,
  writeDeletedMarker,
  DELETED_KEY,
  blobKey,
} from '../../workspace-node/backup/index.js';
import { tempDirs } from '../harness/index.js';
import { backupsAt, CrashingDeletes, dataKeys, smallWorkspace, versionBlob } from './prune.kit.js';

const dirs = tempDirs();
const dir = (prefix: string): string => dirs.make(prefix);
afterEach(() => {
  dirs.removeAll();
});

const NOW = Date.parse('2026-12-03T12:00:00Z');

async function setup(ages: number[]): Promise<{ store: FsObjectStore; ids: string[] }> {
  const store = new FsObjectStore(dir('moe-prune-store-'));
  const ws = smallWorkspace(dir('moe-prune-ws-'));
  const manifests = await backupsAt(
    store,
    ws,
    ages.map((a) => NOW - a),
  );
  return { store, ids: manifests.map((m) => m.backupId) };
}

async function expectVerified(store: ObjectStore, ids: string[]): Promise<void> {
  for (const id of ids) {
    const r = await verifyBackup(store, id);
    expect(r.problems, id).toEqual([]);
    expect(r.ok).toBe(true);
  }
}

const ids = async (store: ObjectStore) => (await listBackups(store)).map((m) => m.backupId);

describe('pruneBackups', () => {
  it('--keep-last 2 keeps exactly the newest two; their objects stay, the dropped ones’ own blobs go', async () => {
    const { store, ids: all } = await setup([5 * DAY_MS, 4 * DAY_MS, 3 * DAY_MS, 2 * DAY_MS, DAY_MS]);
    // an object no manifest lists (left by a backup that crashed before its manifest)
    const orphan = blobKey('0'.repeat(64));
    await store.put(orphan, Buffer.from('orphan'));
    const r = await pruneBackups(store, { keepLast: 2, now: () => new Date(NOW) });

    expect(r.kept.map((k) => k.backupId)).toEqual(all.slice(3));
    expect(r.deleted.map((d) => d.backupId)).toEqual(all.slice(0, 3));
    expect(await ids(store)).toEqual(all.slice(3));
    for (const i of [0, 1, 2]) expect(await store.head(versionBlob(i)), `version ${i}`).toBeUndefined();
    for (const i of [3, 4]) expect(await store.head(versionBlob(i)), `version ${i}`).toBeDefined();
    expect(await store.head(orphan)).toBeUndefined();
    // every data object left is listed by a kept manifest, and every listed one is there
    const kept = await listBackups(store);
    const listed = [...new Set(kept.flatMap((m) => m.objects.map((o) => o.key)))].sort();
    expect(await dataKeys(store)).toEqual(listed);
    expect(r.objects.deleted).toBe(4); // three versions and the orphan
    expect(r.objects.remaining).toBe(listed.length);
    await expectVerified(store, all.slice(3));
  });

  it('--keep-within keeps what is younger; the newest is always kept; no rule given applies the defaults', async () => {
    const { store, ids: all } = await setup([20 * DAY_MS, 10 * DAY_MS, 3 * DAY_MS, 2 * DAY_MS]);
    const within = await pruneBackups(store, { keepWithinMs: 5 * DAY_MS, now: () => new Date(NOW) });
    expect(within.kept.map((k) => k.backupId)).toEqual(all.slice(2));
    expect(await ids(store)).toEqual(all.slice(2));

    // a policy that would keep nothing still keeps the newest backup of a live workspace
    const nothing = await pruneBackups(store, { keepWithinMs: 1000, now: () => new Date(NOW) });
    expect(nothing.kept).toEqual([
      { backupId: all[3], createdAt: expect.any(String) as string, reasons: ['newest'] },
    ]);
    await expectVerified(store, [all[3]!]);

    const { store: s2, ids: all2 } = await setup([30 * DAY_MS, 8 * DAY_MS, 6 * DAY_MS, DAY_MS]);
    const defaults = await pruneBackups(s2, { now: () => new Date(NOW) });
    expect(defaults.rules).toEqual({ keepLast: 10, keepWithinMs: 7 * DAY_MS });
    expect(defaults.kept.map((k) => k.backupId)).toEqual(all2); // fewer than 10: all kept
  });

  it('--dry-run reports what a prune would do and deletes nothing', async () => {
    const { store, ids: all } = await setup([3 * DAY_MS, 2 * DAY_MS, DAY_MS]);
    const before = await dataKeys(store);
    const dry = await pruneBackups(store, { keepLast: 1, dryRun: true, now: () => new Date(NOW) });
    expect(dry.deleted.map((d) => d.backupId)).toEqual(all.slice(0, 2));
    expect(dry.objects.deleted).toBe(2);
    expect(await ids(store)).toEqual(all);
    expect(await dataKeys(store)).toEqual(before);
    const real = await pruneBackups(store, { keepLast: 1, now: () => new Date(NOW) });
    expect(real.objects).toEqual(dry.objects);
  });

  it('a crash mid-prune (after one manifest; after the manifests and one object) leaves every kept backup restorable, and the next prune finishes', async () => {
    for (const crashAfter of [1, 4]) {
      const { store: inner, ids: all } = await setup([4 * DAY_MS, 3 * DAY_MS, 2 * DAY_MS, DAY_MS]);
      const store = new CrashingDeletes(inner);
      store.crashAfter(crashAfter);
      await expect(pruneBackups(store, { keepLast: 1, now: () => new Date(NOW) })).rejects.toThrow(
        /injected crash/,
      );
      // kept: the newest (and, after a crash at 1, two dropped ones not yet deleted)
      const left = await ids(inner);
      expect(left).toContain(all[3]);
      await expectVerified(inner, left);
      store.crashAfter(Infinity);
      const again = await pruneBackups(store, { keepLast: 1, now: () => new Date(NOW) });
      expect(again.kept.map((k) => k.backupId)).toEqual([all[3]]);
      expect(await ids(inner)).toEqual([all[3]]);
      const listed = [
        ...new Set((await listBackups(inner)).flatMap((m) => m.objects.map((o) => o.key))),
      ].sort();
      expect(await dataKeys(inner)).toEqual(listed);
      await expectVerified(inner, [all[3]!]);
    }
  });

  it('an unreadable manifest is kept and stops collection (it may list any object)', async () => {
    const { store, ids: all } = await setup([3 * DAY_MS, 2 * DAY_MS, DAY_MS]);
    await store.put(
      'manifests/20991231T000000000Z-abcdef.json',
      Buffer.from('{"schema":"moe.backup.manifest","version":99}'),
    );
    const r = await pruneBackups(store, { keepLast: 1, now: () => new Date(NOW) });
    expect(r.unreadable.map((u) => u.code)).toEqual(['MOE_ERR_BACKUP_MANIFEST']);
    expect(r.collected).toBe(false);
    expect(r.objects.deleted).toBe(0);
    expect(await ids(store)).toEqual([all[2]]);
    expect(await store.head('manifests/20991231T000000000Z-abcdef.json')).toBeDefined();
    // the dropped backups' blobs are still there, to be collected once the manifest is dealt with
    expect(await store.head(versionBlob(0))).toBeDefined();
  });

  it('a deleted workspace keeps its backups (newest included) within its window, then loses all of them and its marker', async () => {
    const { store, ids: all } = await setup([3 * DAY_MS, 2 * DAY_MS, DAY_MS]);
    await writeDeletedMarker(store, { org: 'o', ws: 'w', deletedAt: NOW - DAY_MS / 2, node: 'n1' });
    const within = await pruneBackups(store, {
      keepWithinMs: 1000,
      deletedRetentionMs: 10 * DAY_MS,
      now: () => new Date(NOW),
    });
    expect(within.deletedWorkspace).toEqual({ deletedAt: NOW - DAY_MS / 2, expired: false });
    expect(within.kept.map((k) => [k.backupId, k.reasons])).toEqual([[all[2], ['deleted-window']]]);
    expect(await store.head(DELETED_KEY)).toBeDefined();

    const later = NOW + 11 * DAY_MS;
    const over = await pruneBackups(store, { deletedRetentionMs: 10 * DAY_MS, now: () => new Date(later) });
    expect(over.deletedWorkspace?.expired).toBe(true);
    expect(over.kept).toEqual([]);
    expect(over.markerRemoved).toBe(true);
    expect(await ids(store)).toEqual([]);
    expect(await dataKeys(store)).toEqual([]);
    expect(await store.head(DELETED_KEY)).toBeUndefined();
  });
});
