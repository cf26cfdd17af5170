/**
 * `moe restore` (issue 8 item 4) as a child process, offline, on fs stores: the demo workspace is
 * backed up twice (one more file the second time) through a primary + mirror pair. Restore of the
 * latest is byte- and row-identical with progress per phase on stderr; `--backup ID` and `--at TIME`
 * (ISO 8601 and a duration ago) choose the backup, and a time before every backup is
 * MOE_ERR_RESTORE_NONE_AT; bad flags are MOE_ERR_USAGE, a non-empty target MOE_ERR_BACKUP_TARGET.
 * A corrupted object (the chaos case): corrupt in the mirror, restore reads the primary's
 * copy, says so and repairs the mirror; corrupt in the primary, a primary-only restore fails with
 * MOE_ERR_BACKUP_INTEGRITY (and leaves no partial target) while the pair restores from the mirror;
 * only an object corrupt in both copies fails the restore.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsObjectStore, MirroredStore } from '../../storage/index.js';
import {
  backupWorkspace,
  workspaceBackupPrefix,
  workspaceStore,
  type BackupManifest,
} from '../../workspace-node/backup/index.js';
import { tempDirs } from '../harness/index.js';
import { demoWorkspace, expectSameWorkspace } from './backup.kit.js';
import { reapAll, runMoe } from './cli.kit.js';

const dirs = tempDirs();
const dir = (prefix: string): string => dirs.make(prefix);

let ws: string;
let primaryDir: string;
let mirrorDir: string;
let first: BackupManifest;
let second: BackupManifest;
/** the workspace as the first backup saw it */
let firstWs: string;

beforeAll(async () => {
  ws = await demoWorkspace(dir('moe-cli-restore-demo-'));
  primaryDir = dir('moe-cli-restore-primary-');
  mirrorDir = dir('moe-cli-restore-mirror-');
  const pair = new MirroredStore({
    primary: new FsObjectStore(primaryDir),
    mirror: new FsObjectStore(mirrorDir),
  });
  try {
    const store = workspaceStore(pair, 'demo', 'main');
    // the first taken two hours ago (as far as its manifest says), the second now
    first = (
      await backupWorkspace(store, {
        dir: ws,
        workspace: { org: 'demo', ws: 'main' },
        now: () => new Date(Date.now() - 2 * 3_600_000),
      })
    ).manifest;
    firstWs = join(dir('moe-cli-restore-first-'), 'ws');
    cpSync(ws, firstWs, { recursive: true });
    writeFileSync(join(ws, 'files', 'extra.txt'), 'one more file\n');
    second = (
      await backupWorkspace(store, {
        dir: ws,
        workspace: { org: 'demo', ws: 'main' },
      })
    ).manifest;
  } finally {
    pair.close();
  }
}, 180_000);

afterAll(async () => {
  await reapAll(dirs.paths());
  dirs.removeAll();
});

/** A private copy of both stores, for a test that damages them. */
function copyStores(): { primary: string; mirror: string } {
  const primary = dir('moe-cli-restore-p-');
  const mirror = dir('moe-cli-restore-m-');
  cpSync(primaryDir, primary, { recursive: true });
  cpSync(mirrorDir, mirror, { recursive: true });
  return { primary, mirror };
}

const env = (s: { primary: string; mirror?: string }) => ({
  MOE_STORAGE_PRIMARY: s.primary,
  ...(s.mirror ? { MOE_STORAGE_MIRROR: s.mirror } : {}),
  // no NATS is needed; a dead port makes sure nothing reaches a shared server
  NATS_URL: 'nats://127.0.0.1:1',
});

const objectPath = (storeDir: string, key: string) =>
  join(storeDir, workspaceBackupPrefix('demo', 'main'), ...key.split('/'));

const target = () => join(dir('moe-cli-restore-to-'), 'ws');

interface RestoreJson {
  backupId: string;
  to: string;
  objects: number;
  bytes: number;
  copies: Array<{ type: string; copy: string; key: string; code?: string }>;
}

describe('moe restore', () => {
  it('restores the latest backup byte- and row-identical, with progress per phase on stderr', async () => {
    const to = target();
    const r = await runMoe(['restore', 'demo/main', '--to', to], {
      env: env({ primary: primaryDir, mirror: mirrorDir }),
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expectSameWorkspace(ws, to);
    expect(r.stdout).toContain(`restored backup ${second.backupId} of demo/main to ${to}`);
    expect(r.stdout).toContain(`moe replay ${join(to, 'sessions', second.logs[0]!.name)}`);
    expect(r.stderr).toContain(`restoring backup ${second.backupId}`);
    for (const [phase, n] of [
      ['databases', second.databases.length],
      ['logs', second.logs.flatMap((l) => l.segments).length],
      ['files', second.files.length],
    ] as const)
      expect(r.stderr).toMatch(new RegExp(`^ {2}${phase} +${n}/${n} objects`, 'm'));
  }, 60_000);

  it('--backup ID and --at TIME choose the backup; --json prints the result', async () => {
    const stores = env({ primary: primaryDir, mirror: mirrorDir });
    const byId = target();
    const r = await runMoe(['restore', 'demo/main', '--backup', first.backupId, '--to', byId, '--json'], {
      env: stores,
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as RestoreJson;
    expect(doc).toMatchObject({
      backupId: first.backupId,
      to: byId,
      objects: first.databases.length + first.logs.flatMap((l) => l.segments).length + first.files.length,
    });
    expect(doc.copies).toEqual([]);
    expectSameWorkspace(firstWs, byId);
    expect(existsSync(join(byId, 'files', 'extra.txt'))).toBe(false);

    // between the two backups: the first; at the second's time: the second; a duration ago: 1 h
    // ago only the first existed, 0 s ago both; 7 days ago neither (independent restores, run
    // side by side: each is a CLI process start)
    const between = new Date(Date.parse(first.createdAt) + 30_000).toISOString();
    const weekAgo = target();
    const restoreAt = (at: string, to = target()) =>
      runMoe(['restore', 'demo/main', '--at', at, '--to', to, '--json'], { env: stores });
    const [atBetween, atSecond, hourAgo, now, none] = await Promise.all([
      restoreAt(between),
      restoreAt(second.createdAt),
      restoreAt('1h'),
      restoreAt('0s'),
      runMoe(['restore', 'demo/main', '--at', '7d', '--to', weekAgo], { env: stores }),
    ]);
    expect(atBetween.code, atBetween.stderr).toBe(0);
    expect((JSON.parse(atBetween.stdout) as RestoreJson).backupId).toBe(first.backupId);
    expect((JSON.parse(atSecond.stdout) as RestoreJson).backupId).toBe(second.backupId);
    expect((JSON.parse(hourAgo.stdout) as RestoreJson).backupId).toBe(first.backupId);
    expect((JSON.parse(now.stdout) as RestoreJson).backupId).toBe(second.backupId);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^moe: MOE_ERR_RESTORE_NONE_AT: .*its oldest backup is /m);
    expect(none.stderr).toContain(first.backupId);
    expect(existsSync(weekAgo)).toBe(false);
  }, 60_000);

  it('bad flags are MOE_ERR_USAGE (exit 2); a non-empty target is MOE_ERR_BACKUP_TARGET and left as it was', async () => {
    const stores = env({ primary: primaryDir, mirror: mirrorDir });
    const usage = await Promise.all([
      runMoe(['restore', 'demo/main'], { env: stores }),
      runMoe(['restore', 'demo', '--to', target()], { env: stores }),
      runMoe(['restore', 'demo/main', '--to', target(), '--at', 'yesterday'], { env: stores }),
      runMoe(['restore', 'demo/main', '--to', target(), '--at', '2h', '--backup', first.backupId], {
        env: stores,
      }),
      runMoe(['restore', 'demo/main', '--to', target(), '--backup', '../x'], { env: stores }),
    ]);
    for (const u of usage) {
      expect(u.code, u.stderr).toBe(2);
      expect(u.stderr).toMatch(/^moe: MOE_ERR_USAGE: /m);
    }
    expect(usage[2].stderr).toContain('--at takes an ISO 8601 time');

    const busy = target();
    mkdirSync(busy, { recursive: true });
    writeFileSync(join(busy, 'keep.txt'), 'mine');
    const r = await runMoe(['restore', 'demo/main', '--to', busy, '--json'], { env: stores });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'MOE_ERR_BACKUP_TARGET' } });
    expect(readdirSync(busy)).toEqual(['keep.txt']);

    const unknown = await runMoe(
      ['restore', 'demo/main', '--backup', '20200101T000000000Z-000000', '--to', target()],
      {
        env: stores,
      },
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^moe: MOE_ERR_BACKUP_NOT_FOUND: /m);
  }, 60_000);

  it('a corrupted (or missing) object in the mirror: the primary copy is read, the mismatch is reported, and the mirror repaired', async () => {
    const s = copyStores();
    const blob = second.files.find((f) => f.path === 'extra.txt')!;
    const db = second.databases.find((d) => d.name === 'sessions')!;
    writeFileSync(objectPath(s.mirror, `blobs/${blob.sha256}`), 'not the bytes');
    writeFileSync(objectPath(s.mirror, db.key), 'not gzip either');
    const to = target();
    const r = await runMoe(['restore', 'demo/main', '--to', to, '--json'], { env: env(s) });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expectSameWorkspace(ws, to);
    const doc = JSON.parse(r.stdout) as RestoreJson;
    const prefix = `${workspaceBackupPrefix('demo', 'main')}/`;
    expect(doc.copies.filter((c) => c.type === 'integrity-mismatch')).toEqual(
      expect.arrayContaining([
        {
          type: 'integrity-mismatch',
          copy: 'mirror',
          key: `${prefix}blobs/${blob.sha256}`,
          code: 'MOE_ERR_STORAGE_INTEGRITY',
        },
        {
          type: 'integrity-mismatch',
          copy: 'mirror',
          key: `${prefix}${db.key}`,
          code: 'MOE_ERR_STORAGE_INTEGRITY',
        },
      ]),
    );
    expect(r.stderr).toContain(
      `the mirror's copy of ${prefix}blobs/${blob.sha256} does not match its sha256`,
    );
    // repaired from the primary before the command ended
    expect(doc.copies).toEqual(
      expect.arrayContaining([
        { type: 'caught-up', copy: 'mirror', key: `${prefix}blobs/${blob.sha256}` },
        { type: 'caught-up', copy: 'mirror', key: `${prefix}${db.key}` },
      ]),
    );
    for (const key of [`blobs/${blob.sha256}`, db.key])
      expect(
        readFileSync(objectPath(s.mirror, key)).equals(readFileSync(objectPath(s.primary, key))),
        key,
      ).toBe(true);
    // an object the mirror lacks: read from the primary, and copied back to the mirror
    const missing = second.files.find((f) => f.path !== 'extra.txt')!;
    rmSync(objectPath(s.mirror, `blobs/${missing.sha256}`));
    const lacking = target();
    const r2 = await runMoe(['restore', 'demo/main', '--to', lacking, '--json'], { env: env(s) });
    expect(r2.code, r2.stdout + r2.stderr).toBe(0);
    expectSameWorkspace(ws, lacking);
    expect((JSON.parse(r2.stdout) as RestoreJson).copies).toEqual([
      {
        type: 'read-fallback',
        copy: 'mirror',
        key: `${prefix}blobs/${missing.sha256}`,
        code: 'MOE_ERR_STORAGE_NOT_FOUND',
      },
      { type: 'caught-up', copy: 'mirror', key: `${prefix}blobs/${missing.sha256}` },
    ]);
    expect(existsSync(objectPath(s.mirror, `blobs/${missing.sha256}`))).toBe(true);
    // a second restore from the repaired mirror finds nothing to pass over
    const again = await runMoe(['restore', 'demo/main', '--to', target(), '--json'], { env: env(s) });
    expect((JSON.parse(again.stdout) as RestoreJson).copies).toEqual([]);
  }, 60_000);

  it('a corrupted object in the primary: alone it fails with MOE_ERR_BACKUP_INTEGRITY and no partial target; with the mirror it restores', async () => {
    const s = copyStores();
    const blob = second.files.find((f) => f.path === 'extra.txt')!;
    const log = second.logs.find((l) => l.name.startsWith('s-'))!;
    writeFileSync(objectPath(s.primary, `blobs/${blob.sha256}`), 'not the bytes');
    writeFileSync(objectPath(s.primary, log.segments[0]!.key), 'not gzip either');

    const alone = target();
    const bad = await runMoe(['restore', 'demo/main', '--to', alone], {
      env: { ...env({ primary: s.primary }) },
    });
    expect(bad.code, bad.stdout + bad.stderr).toBe(1);
    expect(bad.stderr).toMatch(/^moe: MOE_ERR_BACKUP_INTEGRITY: /m);
    expect(bad.stderr).toContain(log.segments[0]!.key);
    expect(existsSync(alone)).toBe(false);

    const to = target();
    const good = await runMoe(['restore', 'demo/main', '--to', to], { env: env(s) });
    expect(good.code, good.stdout + good.stderr).toBe(0);
    expectSameWorkspace(ws, to);

    // different objects bad in each copy: each is read from the copy that has it right
    const other = second.databases.find((d) => d.name === 'messages')!;
    writeFileSync(objectPath(s.mirror, other.key), 'not gzip either');
    const mixed = target();
    const both = await runMoe(['restore', 'demo/main', '--to', mixed, '--json'], { env: env(s) });
    expect(both.code, both.stdout + both.stderr).toBe(0);
    expectSameWorkspace(ws, mixed);

    // the same object bad in both copies: nothing to fall back on
    writeFileSync(objectPath(s.mirror, `blobs/${blob.sha256}`), 'not the bytes either');
    const lost = target();
    const none = await runMoe(['restore', 'demo/main', '--to', lost, '--json'], { env: env(s) });
    expect(none.code).toBe(1);
    expect(JSON.parse(none.stdout)).toMatchObject({
      error: { code: 'MOE_ERR_BACKUP_INTEGRITY', message: expect.stringContaining(`blobs/${blob.sha256}`) },
    });
    expect(existsSync(lost)).toBe(false);
  }, 60_000);
});
