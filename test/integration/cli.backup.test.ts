/**
 * `moe backup list` / `moe backup verify` (issue 8): the demo workspace is backed up twice with the
 * library into an fs store under the prefix `demo/main/` (MOE_STORAGE_PRIMARY), then the CLI runs
 * as a child process: list shows both backups (text and --json); verify of the latest and of an
 * --id exits 0; after a blob is corrupted in the store verify exits 1 naming
 * MOE_ERR_BACKUP_INTEGRITY; bad arguments are MOE_ERR_USAGE (exit 2), an unknown id
 * MOE_ERR_BACKUP_NOT_FOUND (exit 1).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../storage/index.js';
import {
  backupWorkspace,
  workspaceBackupPrefix,
  workspaceStore,
  type BackupManifest,
} from '../../workspace-node/backup/index.js';
import { tempDirs } from '../harness/index.js';
import { demoWorkspace } from './backup.kit.js';
import { reapAll, runMoe } from './cli.kit.js';

const dirs = tempDirs();
const dir = (prefix: string): string => dirs.make(prefix);

let storeDir: string;
let first: BackupManifest;
let second: BackupManifest;
// No NATS is needed; a dead port makes sure nothing reaches a shared server.
const env = () => ({ MOE_STORAGE_PRIMARY: storeDir, NATS_URL: 'nats://127.0.0.1:1' });

beforeAll(async () => {
  const ws = await demoWorkspace(dir('moe-cli-backup-demo-'));
  storeDir = dir('moe-cli-backup-store-');
  const store = workspaceStore(new FsObjectStore(storeDir), 'demo', 'main');
  first = (await backupWorkspace(store, { dir: ws, workspace: { org: 'demo', ws: 'main' } })).manifest;
  writeFileSync(join(ws, 'files', 'extra.txt'), 'one more file\n');
  second = (
    await backupWorkspace(store, {
      dir: ws,
      workspace: { org: 'demo', ws: 'main' },
      now: () => new Date(Date.now() + 1000),
    })
  ).manifest;
}, 180_000);

afterAll(async () => {
  await reapAll(dirs.paths());
  dirs.removeAll();
});

describe('moe backup list / verify', () => {
  it('lists the backups under <org>/<ws>/ in the store, oldest first (text and --json)', async () => {
    const r = await runMoe(['backup', 'list', 'demo/main'], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(first.backupId);
    expect(r.stdout).toContain(second.backupId);
    expect(r.stdout.indexOf(first.backupId)).toBeLessThan(r.stdout.indexOf(second.backupId));
    expect(r.stdout).toContain('2 backup(s) of demo/main');

    const j = await runMoe(['backup', 'list', 'demo/main', '--json'], { env: env() });
    expect(j.code, j.stderr).toBe(0);
    const doc = JSON.parse(j.stdout) as {
      backups: Array<{ backupId: string; previous: string | null; files: number }>;
    };
    expect(doc.backups.map((b) => b.backupId)).toEqual([first.backupId, second.backupId]);
    expect(doc.backups[1]!.previous).toBe(first.backupId);
    expect(doc.backups[1]!.files).toBe(first.files.length + 1);

    const other = await runMoe(['backup', 'list', 'demo/other'], { env: env() });
    expect(other.code).toBe(0);
    expect(other.stdout).toContain('no backups of demo/other');
  }, 60_000);

  it('verifies the latest backup and one chosen by --id: exit 0 with a report', async () => {
    const r = await runMoe(['backup', 'verify', 'demo/main'], { env: env() });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`verifying backup ${second.backupId}`);
    expect(r.stdout).toMatch(/db sessions: integrity_check ok/);
    expect(r.stdout).toMatch(/log .*: replay ok/);
    expect(r.stdout).toContain(`backup ${second.backupId} OK`);

    const j = await runMoe(['backup', 'verify', 'demo/main', '--id', first.backupId, '--json'], {
      env: env(),
    });
    expect(j.code, j.stderr).toBe(0);
    const doc = JSON.parse(j.stdout) as {
      ok: boolean;
      backupId: string;
      replay: unknown[];
      problems: unknown[];
    };
    expect(doc).toMatchObject({ ok: true, backupId: first.backupId, problems: [] });
    expect(doc.replay.length).toBe(first.logs.length);
  }, 60_000);

  it('bad arguments are MOE_ERR_USAGE (exit 2); an unknown id is MOE_ERR_BACKUP_NOT_FOUND (exit 1)', async () => {
    const bad = await runMoe(['backup', 'verify', 'demo'], { env: env() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('MOE_ERR_USAGE');
    const sub = await runMoe(['backup', 'frobnicate', 'demo/main'], { env: env() });
    expect(sub.code).toBe(2);
    expect(sub.stderr).toContain('MOE_ERR_USAGE');
    const missing = await runMoe(['backup', 'verify', 'demo/main', '--id', '20200101T000000000Z-000000'], {
      env: env(),
    });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('MOE_ERR_BACKUP_NOT_FOUND');
  }, 60_000);

  it('a corrupted blob in the store: verify exits 1 and names MOE_ERR_BACKUP_INTEGRITY and the blob', async () => {
    const file = second.files.find((f) => f.path === 'extra.txt')!;
    writeFileSync(
      join(storeDir, workspaceBackupPrefix('demo', 'main'), 'blobs', file.sha256),
      'not the bytes',
    );
    const r = await runMoe(['backup', 'verify', 'demo/main'], { env: env() });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain(`problem MOE_ERR_BACKUP_INTEGRITY blobs/${file.sha256}`);
    expect(r.stdout).toContain('FAILED verification');
    // the first backup does not reference that blob: it still verifies
    const older = await runMoe(['backup', 'verify', 'demo/main', '--id', first.backupId], { env: env() });
    expect(older.code, older.stdout).toBe(0);
  }, 60_000);
});
