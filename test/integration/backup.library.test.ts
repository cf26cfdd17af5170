/**
 * Backups as a library (issue 8 items 3 and 5) on a workspace made by the real demo: a full
 * backup restores to a fresh dir with identical files, logs and database rows, and verifies
 * (sha256s, integrity_check, replay); a second backup after one file changed uploads only that
 * blob; a crash mid-backup leaves no manifest and the next run completes; a corrupted blob is a
 * coded sha mismatch (and a MirroredStore reads the good copy); the same against s3rver.
 */
import { appendFileSync, cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsObjectStore, MirroredStore, openStore } from '../../storage/index.js';
import {
  backupWorkspace,
  blobKey,
  latestBackup,
  listBackups,
  readManifest,
  restoreBackup,
  verifyBackup,
} from '../../workspace-node/backup/index.js';
import { openSqliteCluster } from '../../workspace-node/sqliteCluster.js';
import { tempDirs } from '../harness/index.js';
import { CountingStore, demoWorkspace, expectSameWorkspace, rowsOf } from './backup.kit.js';
import { reapAll } from './cli.kit.js';
import { S3RVER_CLIENT, startS3rver, uniquePrefix } from './storage.kit.js';

const dirs = tempDirs();
const dir = (prefix: string): string => dirs.make(prefix);

let ws: string;
beforeAll(async () => {
  ws = await demoWorkspace(dir('moe-backup-demo-'));
  // More than the demo writes: a nested file and a binary one.
  mkdirSync(join(ws, 'files', 'data', 'deep'), { recursive: true });
  writeFileSync(join(ws, 'files', 'data', 'deep', 'blob.bin'), Buffer.from([0, 1, 2, 255, 254, 10, 13]));
  writeFileSync(join(ws, 'files', 'data', 'a.txt'), 'alpha\n');
}, 180_000);

afterAll(async () => {
  await reapAll(dirs.paths());
  dirs.removeAll();
});

describe('backupWorkspace / restoreBackup / verifyBackup', () => {
  it('a full backup restores to a fresh dir byte- and row-identical, and verifies (sha256, integrity_check, replay)', async () => {
    const store = new CountingStore(new FsObjectStore(dir('moe-store-')));
    const { manifest, uploaded } = await backupWorkspace(store, {
      dir: ws,
      workspace: { org: 'demo', ws: 'main' },
    });
    expect(manifest.databases.map((d) => d.name).sort()).toEqual(
      ['artifacts', 'messages', 'metrics', 'parsed_sessions', 'sessions', 'workspace'].sort(),
    );
    expect(manifest.actors.length).toBeGreaterThan(0);
    expect(manifest.journalSeq).toBe(Math.max(...manifest.actors.map((a) => a.lastSeq)));
    expect(manifest.schemaVersions.journalEntries).toEqual([2]);
    expect(manifest.files.map((f) => f.path)).toContain('data/deep/blob.bin');
    // the manifest is the last put, and lists every object with sha256 and size
    expect(store.puts.at(-1)).toBe(`manifests/${manifest.backupId}.json`);
    expect(uploaded.databases).toBe(6);
    for (const o of manifest.objects) expect((await store.head(o.key))?.size).toBe(o.size);
    expect(await latestBackup(store)).toEqual(manifest);

    const target = join(dir('moe-restore-'), 'ws');
    await restoreBackup(store, manifest, target);
    expectSameWorkspace(ws, target);

    const verified = await verifyBackup(store, manifest.backupId);
    expect(verified.problems).toEqual([]);
    expect(verified.ok).toBe(true);
    expect(verified.databases.every((d) => d.integrity.join() === 'ok')).toBe(true);
    expect(verified.replay.length).toBe(readdirSync(join(ws, 'sessions')).length);
    expect(verified.replay.reduce((n, r) => n + r.applied, 0)).toBeGreaterThan(0);
    expect(verified.replay.flatMap((r) => r.actors).every((a) => a.match === true)).toBe(true);
  }, 60_000);

  it('a second backup after one file changed uploads only that blob (and a log that grew: one new segment)', async () => {
    const store = new CountingStore(new FsObjectStore(dir('moe-store-')));
    const first = await backupWorkspace(store, { dir: ws });
    const firstPuts = store.puts.length;
    expect(store.putsUnder('blobs/')).toBe(new Set(first.manifest.files.map((f) => f.sha256)).size);

    writeFileSync(join(ws, 'files', 'data', 'a.txt'), 'alpha, changed\n');
    const second = await backupWorkspace(store, { dir: ws });
    expect(store.puts.slice(firstPuts)).toEqual([
      blobKey(second.manifest.files.find((f) => f.path === 'data/a.txt')!.sha256),
      `manifests/${second.manifest.backupId}.json`,
    ]);
    expect(second.manifest.previous).toBe(first.manifest.backupId);

    // A log that grew (a repeated line, as after a crash: replay skips it) gets one new segment;
    // its earlier segments are referenced, not uploaded again.
    const log = readdirSync(join(ws, 'sessions')).find((n) => n.startsWith('s-'))!;
    const lines = readFileSync(join(ws, 'sessions', log), 'utf8')
      .trimEnd()
      .split('\n');
    appendFileSync(join(ws, 'sessions', log), `${lines.at(-1)}\n{"seq":99,"rec":{"partial`);
    const beforeThird = store.puts.length;
    const third = await backupWorkspace(store, { dir: ws });
    const newPuts = store.puts.slice(beforeThird);
    expect(newPuts.filter((k) => k.startsWith('segments/'))).toHaveLength(1);
    expect(newPuts.filter((k) => k.startsWith('blobs/') || k.startsWith('db/'))).toEqual([]);
    const entry = third.manifest.logs.find((l) => l.name === log)!;
    expect(entry.segments).toHaveLength(2);
    // the unfinished last line is not sealed
    expect(entry.size).toBe(readFileSync(join(ws, 'sessions', log)).lastIndexOf(0x0a) + 1);
    const verified = await verifyBackup(store, third.manifest);
    expect(verified.problems).toEqual([]);
    expect(verified.replay.find((r) => r.log.endsWith(log))!.skipped).toBe(1);
    expect((await listBackups(store)).map((m) => m.backupId)).toEqual(
      [first, second, third].map((b) => b.manifest.backupId),
    );
  }, 60_000);

  it('a crash mid-backup (the store fails after N puts) leaves no manifest, and the next run completes', async () => {
    const store = new CountingStore(new FsObjectStore(dir('moe-store-')));
    store.failAfter(3);
    await expect(backupWorkspace(store, { dir: ws })).rejects.toThrow(/injected crash/);
    expect(store.puts).toHaveLength(3);
    expect(await listBackups(store)).toEqual([]);
    expect(await latestBackup(store)).toBeUndefined();

    store.failAfter(Infinity);
    const { manifest } = await backupWorkspace(store, { dir: ws });
    expect((await listBackups(store)).map((m) => m.backupId)).toEqual([manifest.backupId]);
    expect((await verifyBackup(store, manifest)).ok).toBe(true);
    await expect(readManifest(store, 'no-such-backup')).rejects.toMatchObject({
      code: 'MOE_ERR_BACKUP_NOT_FOUND',
    });
    // a manifest of a version this build does not know is refused, not half-read
    await store.put('manifests/future.json', Buffer.from(JSON.stringify({ ...manifest, version: 2 })));
    await expect(readManifest(store, 'future')).rejects.toMatchObject({ code: 'MOE_ERR_BACKUP_MANIFEST' });
    const unreadable: string[] = [];
    const listed = await listBackups(store, (id) => unreadable.push(id));
    expect(listed.map((m) => m.backupId)).toEqual([manifest.backupId]);
    expect(unreadable).toEqual(['future']);
    expect((await latestBackup(store))?.backupId).toBe(manifest.backupId);
  }, 60_000);

  it('a corrupted blob: verify reports the sha mismatch with its code, restore refuses; a mirror serves the good copy', async () => {
    const primaryDir = dir('moe-primary-');
    const mirrorDir = dir('moe-mirror-');
    const mirrored = new MirroredStore({
      primary: new FsObjectStore(primaryDir),
      mirror: new FsObjectStore(mirrorDir),
    });
    try {
      const { manifest } = await backupWorkspace(mirrored, { dir: ws });
      const file = manifest.files.find((f) => f.path === 'data/deep/blob.bin')!;
      writeFileSync(join(mirrorDir, 'blobs', file.sha256), 'not the bytes');
      const log = manifest.logs.find((l) => l.name.startsWith('s-'))!;
      writeFileSync(join(mirrorDir, ...log.segments[0]!.key.split('/')), 'not gzip either');

      const mirrorOnly = new FsObjectStore(mirrorDir);
      const verified = await verifyBackup(mirrorOnly, manifest.backupId);
      expect(verified.ok).toBe(false);
      expect(verified.problems).toEqual([
        expect.objectContaining({ code: 'MOE_ERR_BACKUP_INTEGRITY', key: log.segments[0]!.key }),
        expect.objectContaining({ code: 'MOE_ERR_BACKUP_INTEGRITY', key: `blobs/${file.sha256}` }),
      ]);
      // the damaged log is not replayed; the others are
      expect(verified.replay.map((r) => r.log)).not.toContain(expect.stringContaining(log.name));
      expect(verified.replay.length).toBe(manifest.logs.length - 1);
      await expect(
        restoreBackup(mirrorOnly, manifest, join(dir('moe-restore-'), 'ws')),
      ).rejects.toMatchObject({
        code: 'MOE_ERR_BACKUP_INTEGRITY',
      });

      // Through the MirroredStore the bad mirror copy is passed over for the primary's.
      const target = join(dir('moe-restore-'), 'ws');
      await restoreBackup(mirrored, manifest, target);
      expectSameWorkspace(ws, target);
      expect((await verifyBackup(mirrored, manifest)).ok).toBe(true);
      await expect(restoreBackup(mirrored, manifest, target)).rejects.toMatchObject({
        code: 'MOE_ERR_BACKUP_TARGET',
      });
    } finally {
      mirrored.close();
    }
  }, 60_000);

  it('a sessions.db whose actor snapshot the logs do not reproduce fails verification with MOE_ERR_BACKUP_REPLAY', async () => {
    const copy = join(dir('moe-backup-tampered-'), 'ws');
    cpSync(ws, copy, { recursive: true });
    const db = new Database(join(copy, 'db', 'sessions.db'));
    const { key } = db.prepare<[], { key: string }>("SELECT key FROM actors WHERE kind = 'session'").get()!;
    db.prepare("UPDATE actors SET snapshot = json_set(snapshot, '$.context.tampered', 1) WHERE key = ?").run(
      key,
    );
    db.close();
    const store = new FsObjectStore(dir('moe-store-'));
    const { manifest } = await backupWorkspace(store, { dir: copy });
    const verified = await verifyBackup(store, manifest);
    expect(verified.ok).toBe(false);
    expect(verified.problems).toEqual([expect.objectContaining({ code: 'MOE_ERR_BACKUP_REPLAY' })]);
    const actor = verified.replay.flatMap((r) => r.actors).find((a) => a.actor === key)!;
    expect(actor.match).toBe(false);
    expect(actor.diff.join()).toMatch(/tampered/);
  }, 60_000);

  it("snapshots the node's open cluster while it is being written: each snapshot is consistent", async () => {
    const copy = join(dir('moe-backup-live-'), 'ws');
    cpSync(ws, copy, { recursive: true });
    const cluster = openSqliteCluster(join(copy, 'db'));
    const insert = cluster.messages.prepare(
      "INSERT INTO messages (seq, turn, actor, session, role, content, at) VALUES (?, 0, 'a', 's', 'user', ?, 0)",
    );
    const before = cluster.messages.prepare('SELECT count(*) AS n FROM messages').get() as { n: number };
    let seq = 1_000_000;
    const writer = setInterval(() => {
      cluster.messages.transaction(() => {
        for (let i = 0; i < 50; i++) insert.run(seq++, 'x'.repeat(2000));
      })();
    }, 1);
    try {
      const store = new FsObjectStore(dir('moe-store-'));
      const { manifest } = await backupWorkspace(store, { dir: copy, databases: cluster });
      clearInterval(writer);
      const verified = await verifyBackup(store, manifest, { keep: true, tmpDir: dir('moe-verify-') });
      expect(verified.problems).toEqual([]);
      const rows = rowsOf(join(verified.restoredTo!, 'db', 'messages.db'))['messages']!;
      // whole transactions only: the rows added during the backup come in batches of 50
      expect(rows.length).toBeGreaterThan(before.n);
      expect((rows.length - before.n) % 50).toBe(0);
    } finally {
      clearInterval(writer);
      cluster.close();
    }
  }, 60_000);

  it('backs up to and restores from an S3-compatible store (real @aws-sdk/client-s3 against s3rver)', async () => {
    const s3 = await startS3rver();
    try {
      const store = openStore(s3.url(`backups/${uniquePrefix()}`), S3RVER_CLIENT);
      const { manifest } = await backupWorkspace(store, { dir: ws });
      const target = join(dir('moe-restore-'), 'ws');
      await restoreBackup(store, (await latestBackup(store))!, target);
      expectSameWorkspace(ws, target);
      expect((await verifyBackup(store, manifest)).problems).toEqual([]);
    } finally {
      await s3.dispose();
    }
  }, 60_000);
});
