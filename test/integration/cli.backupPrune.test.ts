/**
 * `moe backup prune` (issue 8 item 8) as a child process against an fs store (MOE_STORAGE_PRIMARY)
 * holding four real backups: --dry-run says what would go and deletes nothing; --keep-last 2
 * --json keeps exactly two, the kept ones verify and the dropped backups' own blobs are gone;
 * progress lines are printed; bad values are MOE_ERR_USAGE (exit 2).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../storage/index.js';
import { DAY_MS, listBackups, verifyBackup, workspaceStore } from '../../workspace-node/backup/index.js';
import { tempDirs } from '../harness/index.js';
import { reapAll, runMoe } from './cli.kit.js';
import { backupsAt, dataKeys, smallWorkspace, versionBlob } from './prune.kit.js';

const dirs = tempDirs();
const dir = (prefix: string): string => dirs.make(prefix);

let storeDir: string;
let ids: string[];
// No NATS is needed; a dead port makes sure nothing reaches a shared server.
const env = () => ({ MOE_STORAGE_PRIMARY: storeDir, NATS_URL: 'nats://127.0.0.1:1' });
const store = () => workspaceStore(new FsObjectStore(storeDir), 'o', 'w');

beforeAll(async () => {
  storeDir = dir('moe-cli-prune-store-');
  const now = Date.now();
  const made = await backupsAt(store(), smallWorkspace(dir('moe-cli-prune-ws-')), [
    now - 4 * DAY_MS,
    now - 3 * DAY_MS,
    now - 2 * DAY_MS,
    now - DAY_MS,
  ]);
  ids = made.map((m) => m.backupId);
});
afterAll(async () => {
  await reapAll(dirs.paths());
  dirs.removeAll();
});

describe('moe backup prune', () => {
  it('--dry-run prints the plan and deletes nothing', async () => {
    const before = await dataKeys(store());
    const r = await runMoe(['backup', 'prune', 'o/w', '--keep-last', '2', '--dry-run'], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/dry run/);
    expect(r.stdout).toMatch(/plan: keep 2 backup\(s\), would delete 2/);
    expect(r.stdout).toMatch(/kept 2 backup\(s\), would delete 2; would delete 2 object\(s\)/);
    expect((await listBackups(store())).map((m) => m.backupId)).toEqual(ids);
    expect(await dataKeys(store())).toEqual(before);
  });

  it('--keep-last 2 --json keeps exactly the newest two, which verify; the others’ own blobs are gone', async () => {
    const r = await runMoe(['backup', 'prune', 'o/w', '--keep-last', '2', '--json'], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      kept: Array<{ backupId: string }>;
      deleted: Array<{ backupId: string }>;
      objects: { deleted: number };
      rules: { keepLast: number; keepWithinMs: number | null };
    };
    expect(out.rules).toEqual({ keepLast: 2, keepWithinMs: null });
    expect(out.kept.map((k) => k.backupId)).toEqual(ids.slice(2));
    expect(out.deleted.map((d) => d.backupId)).toEqual(ids.slice(0, 2));
    expect(out.objects.deleted).toBe(2);
    // progress went to stderr under --json
    expect(r.stderr).toMatch(/deleted manifest/);
    expect((await listBackups(store())).map((m) => m.backupId)).toEqual(ids.slice(2));
    for (const i of [0, 1]) expect(await store().head(versionBlob(i))).toBeUndefined();
    for (const i of [2, 3]) expect(await store().head(versionBlob(i))).toBeDefined();
    for (const id of ids.slice(2)) expect((await verifyBackup(store(), id)).ok).toBe(true);
  });

  it('bad values are MOE_ERR_USAGE (exit 2)', async () => {
    for (const args of [
      ['--keep-last', '0'],
      ['--keep-within', '7x'],
      ['--deleted-keep', 'soon'],
    ]) {
      const r = await runMoe(['backup', 'prune', 'o/w', ...args], { env: env() });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/MOE_ERR_USAGE/);
    }
    const noWs = await runMoe(['backup', 'prune'], { env: env() });
    expect(noWs.code).toBe(2);
  });
});
