/**
 * Shared files root (MOE_FILES_ROOT): two nodes with SEPARATE data dirs share one directory of
 * workspace files (a plain directory here, a gcsfuse mount in production). Node A hosts a
 * workspace and its agent writes `notes/x.md`; A stops; node B takes the workspace over and B's
 * agent reads the file — no file restore. Without the shared root, B's fresh data dir has no such
 * file (the failing scenario), which the last case shows. A backup of a workspace on the
 * shared root holds its files (it read `<workspace dir>/files`, empty there, until 2026-12-04), so
 * deleting the workspace, which removes them from the root, leaves them in its backups.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKUP_ACTOR_ID } from '../../actors/index.js';
import type { RecordWithSeq } from '../../client/index.js';
import { openStore } from '../../storage/index.js';
import { latestBackup, restoreBackup, workspaceStore } from '../../workspace-node/backup/index.js';
import { workspaceDir } from '../../workspace-node/index.js';
import { startPlatform, tempDirs, type Platform } from '../harness/index.js';

let p: Platform;
const dirs = tempDirs();
const dir = (prefix: string) => dirs.make(prefix);

beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => {
  await p?.close();
  dirs.removeAll();
});

/** The tool results an agent's turns received, in call order. */
function toolOutputs(records: readonly RecordWithSeq[]): { output: string; isError: boolean }[] {
  return records
    .map((r) => r.record.cmd)
    .filter((c) => c.type === 'effect.result')
    .map((c) => c.data?.value as { callId?: unknown; output: string; isError: boolean })
    .filter((v) => typeof v?.callId === 'string')
    .map(({ output, isError }) => ({ output, isError }));
}

const write = [
  {
    text: 'writing',
    toolCalls: [{ name: 'write_file', input: { path: 'notes/x.md', content: '# kept across nodes' } }],
  },
  { text: 'written' },
];
const read = [
  { text: 'reading', toolCalls: [{ name: 'read_file', input: { path: 'notes/x.md' } }] },
  { text: 'read' },
];

describe('shared files root', () => {
  it("a node taking a workspace over finds its files under the shared root, and B's agent reads them", async () => {
    const files = dir('moe-files-root-');
    const dataA = dir('moe-data-a-');
    const dataB = dir('moe-data-b-');
    const a = await p.node({ nodeId: 'a', dataDir: dataA, filesRoot: files, leaseMs: 1500 });
    const wrote = await p.client.runTask('fr', 'w1', 'writer', {
      prompt: 'write',
      profile: 'scripted',
      script: write,
    });
    expect(wrote.outcome.type).toBe('task.completed');
    expect(toolOutputs(wrote.records)).toMatchObject([{ isError: false }]);
    expect(a.hosts.get('fr.w1')?.filesDir).toBe(join(files, 'fr', 'w1', 'files'));
    expect(readFileSync(join(files, 'fr', 'w1', 'files', 'notes', 'x.md'), 'utf8')).toBe(
      '# kept across nodes',
    );
    // A's data dir holds the databases and logs, not the files
    expect(existsSync(join(workspaceDir(dataA, 'fr', 'w1'), 'db'))).toBe(true);
    expect(existsSync(join(workspaceDir(dataA, 'fr', 'w1'), 'files'))).toBe(false);
    await a.stop();

    const b = await p.node({ nodeId: 'b', dataDir: dataB, filesRoot: files, leaseMs: 1500 });
    const got = await p.client.runTask('fr', 'w1', 'reader', {
      prompt: 'read',
      profile: 'scripted',
      script: read,
    });
    expect(got.outcome.type).toBe('task.completed');
    expect(b.hosts.has('fr.w1')).toBe(true);
    expect(existsSync(workspaceDir(dataA, 'fr', 'w1')) && existsSync(workspaceDir(dataB, 'fr', 'w1'))).toBe(
      true,
    );
    const [readResult] = toolOutputs(got.records);
    expect(readResult?.isError).toBe(false);
    expect(readResult?.output).toContain('# kept across nodes');
    await b.stop();
  });

  it('without a shared root, a node with its own data dir does not find the file (why the root exists)', async () => {
    const a = await p.node({ nodeId: 'a2', dataDir: dir('moe-data-a2-'), leaseMs: 1500 });
    await p.client.runTask('fr', 'w2', 'writer', { prompt: 'write', profile: 'scripted', script: write });
    await a.stop();
    const b = await p.node({ nodeId: 'b2', dataDir: dir('moe-data-b2-'), leaseMs: 1500 });
    const got = await p.client.runTask('fr', 'w2', 'reader', {
      prompt: 'read',
      profile: 'scripted',
      script: read,
    });
    const [readResult] = toolOutputs(got.records);
    expect(readResult?.isError).toBe(true);
    expect(readResult?.output).toContain('MOE_ERR_FILE_NOT_FOUND');
    await b.stop();
  });

  it("a backup of a workspace on the shared root holds the root's files, and restores them", async () => {
    const files = dir('moe-files-root-b-');
    const store = openStore(dir('moe-files-store-'));
    const a = await p.node({ nodeId: 'a3', dataDir: dir('moe-data-a3-'), filesRoot: files, storage: store });
    const wrote = await p.client.runTask('fr', 'w3', 'writer', {
      prompt: 'write',
      profile: 'scripted',
      script: write,
    });
    expect(toolOutputs(wrote.records)).toMatchObject([{ isError: false }]);
    const backup = { org: 'fr', ws: 'w3', kind: 'backup', id: BACKUP_ACTOR_ID };
    await p.client.send(backup, {
      id: 'fr-w3-backup',
      type: 'backup.request',
      data: { reason: 'manual', force: true },
    });
    const records = await p.client.follow(
      backup,
      (r) => r.record.events.some((e) => e.type === 'backup.completed'),
      {
        timeoutMs: 60_000,
      },
    );
    const completed = records.flatMap((r) => r.record.events).find((e) => e.type === 'backup.completed');
    const wsStore = workspaceStore(store, 'fr', 'w3');
    const manifest = await latestBackup(wsStore);
    expect(manifest?.backupId).toBe((completed as unknown as { backupId: string }).backupId);
    expect(manifest?.files.map((f) => f.path)).toEqual(['notes/x.md']);
    const restored = dir('moe-files-restored-');
    await restoreBackup(wsStore, manifest!, restored);
    expect(readFileSync(join(restored, 'files', 'notes', 'x.md'), 'utf8')).toBe('# kept across nodes');
    await a.stop();
  });
});
