/**
 * Restore on takeover (issue 8 item 4, the headline scenario): two nodes with SEPARATE
 * data dirs share one fs backup store. Node A hosts a workspace and its agent writes `notes/x.md`;
 * a backup is made with the library (under the shared per-workspace prefix, workspaceStore); A
 * stops; node B takes the workspace over with nothing of it on its disk. B restores the databases
 * and logs before serving (rows equal A's), the files in the background — delayed here so that
 * B's `read_file` must wait for them; then the whole files tree is byte-identical to A's — and `moe
 * replay` (the library and the real CLI) passes on B's logs afterwards. The control
 * (no backup store shared: B does not find the file) is in node.filesRoot.test.ts.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayFile } from '../../cli/commands/replay.js';
import type { RecordWithSeq } from '../../client/index.js';
import { FsObjectStore, type ObjectStore } from '../../storage/index.js';
import { DATABASES, workspaceDir } from '../../workspace-node/index.js';
import { PENDING_FILES } from '../../workspace-node/restoreOnTakeover.js';
import {
  backupWorkspace,
  latestBackup,
  listFiles,
  workspaceBackupPrefix,
  workspaceStore,
} from '../../workspace-node/backup/index.js';
import { startPlatform, tempDirs, type Platform } from '../harness/index.js';
import { rowsOf } from './backup.kit.js';
import { runMoe } from './cli.kit.js';

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

function toolOutputs(records: readonly RecordWithSeq[]): { output: string; isError: boolean }[] {
  return records
    .map((r) => r.record.cmd)
    .filter((c) => c.type === 'effect.result')
    .map((c) => c.data?.value as { callId?: unknown; output: string; isError: boolean })
    .filter((v) => typeof v?.callId === 'string')
    .map(({ output, isError }) => ({ output, isError }));
}

/** The store, with every file blob download held back `ms` (files come back in the background). */
function slowBlobs(inner: ObjectStore, ms: number, seen: string[]): ObjectStore {
  const hold = async (key: string) => {
    if (key.includes('/blobs/')) {
      seen.push(key);
      await new Promise((r) => setTimeout(r, ms));
    }
  };
  return {
    url: inner.url,
    put: (k, b, o) => inner.put(k, b, o),
    get: async (k, o) => (await hold(k), inner.get(k, o)),
    getStream: async (k, o) => (await hold(k), inner.getStream(k, o)),
    head: (k) => inner.head(k),
    list: (prefix) => inner.list(prefix),
    delete: (k) => inner.delete(k),
  };
}

const write = [
  {
    text: 'writing',
    toolCalls: [{ name: 'write_file', input: { path: 'notes/x.md', content: '# restored on takeover' } }],
  },
  { text: 'written' },
];
/** more files, nested and of several sizes: the whole tree must come back byte for byte */
const writeMore = [
  {
    text: 'writing more',
    toolCalls: [
      { name: 'write_file', input: { path: 'src/deep/nested/a.ts', content: 'export const a = 1;\n' } },
      { name: 'write_file', input: { path: 'data/big.csv', content: 'id,name,ünïcode\n'.repeat(4000) } },
      { name: 'write_file', input: { path: 'empty.txt', content: '' } },
    ],
  },
  { text: 'written' },
];
const read = [
  { text: 'reading', toolCalls: [{ name: 'read_file', input: { path: 'notes/x.md' } }] },
  { text: 'read' },
];

describe('restore on takeover', () => {
  it('node B, with its own empty data dir, restores the latest backup: databases before serving, files before any tool call', async () => {
    const storeDir = dir('moe-store-');
    const store = new FsObjectStore(storeDir);
    const dataA = dir('moe-data-a-');
    const dataB = dir('moe-data-b-');
    const a = await p.node({ nodeId: 'a', dataDir: dataA, leaseMs: 1500, storage: store });
    const wrote = await p.client.runTask('tr', 'w1', 'writer', {
      prompt: 'write',
      profile: 'scripted',
      script: write,
    });
    expect(wrote.outcome.type).toBe('task.completed');
    expect(toolOutputs(wrote.records)).toMatchObject([{ isError: false }]);
    const more = await p.client.runTask('tr', 'w1', 'writer2', {
      prompt: 'write more',
      profile: 'scripted',
      script: writeMore,
    });
    expect(toolOutputs(more.records).map((o) => o.isError)).toEqual([false, false, false]);
    await a.stop();

    // The backup, by the library, under the same per-workspace prefix the node restores from.
    const dirA = workspaceDir(dataA, 'tr', 'w1');
    const { manifest } = await backupWorkspace(workspaceStore(store, 'tr', 'w1'), {
      dir: dirA,
      workspace: { org: 'tr', ws: 'w1' },
    });
    expect(manifest.files.map((f) => f.path)).toContain('notes/x.md');
    expect(existsSync(join(storeDir, workspaceBackupPrefix('tr', 'w1'), 'manifests'))).toBe(true);
    expect((await latestBackup(workspaceStore(store, 'tr', 'w1')))?.backupId).toBe(manifest.backupId);

    const dirB = workspaceDir(dataB, 'tr', 'w1');
    expect(existsSync(dirB)).toBe(false);
    const seen: string[] = [];
    const t0 = Date.now();
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'info' },
      { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) },
    );
    const b = await p.node({
      nodeId: 'b',
      dataDir: dataB,
      leaseMs: 1500,
      storage: slowBlobs(store, 1500, seen),
      logger,
    });
    await b.waitForWorkspace('tr', 'w1');
    // Served before the files are back: the hold on blobs has not run out yet.
    expect(Date.now() - t0).toBeLessThan(1500 + 1000);
    expect(existsSync(join(dirB, 'files', 'notes', 'x.md'))).toBe(false);
    // Databases and logs came back first: every row of every table of every database equals A's
    // (A stopped before the backup, so its state is the manifest's), the same logs — and, in
    // workspace.db's lease history, B's own lease on top of A's.
    expect(manifest.databases.map((d) => d.name).sort()).toEqual([...DATABASES].sort());
    for (const name of DATABASES) {
      const want = rowsOf(join(dirA, 'db', `${name}.db`));
      expect(Object.keys(want).length, name).toBeGreaterThan(0);
      const got = rowsOf(join(dirB, 'db', `${name}.db`));
      if (name === 'workspace') {
        const [mine, restored] = [true, false].map((b) =>
          got.lease_history!.filter((r) => ((JSON.parse(r) as unknown[])[1] === 'b') === b),
        );
        expect(mine!.map((r) => (JSON.parse(r) as unknown[]).slice(1, 4))).toEqual([['b', 1, 'acquired']]);
        got.lease_history = restored!;
        delete got.sqlite_sequence;
        delete want.sqlite_sequence;
      }
      expect(got, name).toEqual(want);
    }
    expect(Object.values(rowsOf(join(dirB, 'db', 'messages.db'))).flat().length).toBeGreaterThan(0);
    expect(readdirSync(join(dirB, 'sessions')).sort()).toEqual(readdirSync(join(dirA, 'sessions')).sort());

    // B's agent reads the file: its tool call waited for the background restore.
    const got = await p.client.runTask('tr', 'w1', 'reader', {
      prompt: 'read',
      profile: 'scripted',
      script: read,
    });
    expect(got.outcome.type).toBe('task.completed');
    expect(seen.length).toBeGreaterThan(0);
    const [readResult] = toolOutputs(got.records);
    expect(readResult?.isError).toBe(false);
    expect(readResult?.output).toContain('# restored on takeover');
    expect(readFileSync(join(dirB, 'files', 'notes', 'x.md'), 'utf8')).toBe('# restored on takeover');
    // The whole files tree is back, byte for byte.
    const files = listFiles(join(dirA, 'files'));
    expect(files).toEqual(['data/big.csv', 'empty.txt', 'notes/x.md', 'src/deep/nested/a.ts']);
    expect(listFiles(join(dirB, 'files'))).toEqual(files);
    for (const f of files)
      expect(readFileSync(join(dirB, 'files', f)).equals(readFileSync(join(dirA, 'files', f))), f).toBe(true);
    // The restore's figures are in B's heartbeat report (the supervisor's moe_restore_duration_seconds).
    const restore = b.backups()['tr.w1']?.restore;
    expect(restore).toMatchObject({ backupId: manifest.backupId });
    expect(restore!.rtoMs).toBeGreaterThanOrEqual(0);
    expect(restore!.filesRtoMs).toBeGreaterThanOrEqual(1500);
    await b.stop();
    // Progress and the restore time (RTO) of each phase are logged.
    const restoreLog = lines.filter((l) => l.restore === true).map((l) => l.msg);
    expect(restoreLog).toEqual([
      'restore: taking the workspace over from its latest backup',
      'restore: databases and logs back; the kernel catches up from the journal',
      'restore: files back',
    ]);
    for (const l of lines.filter((x) => x.restore === true && typeof x.rtoMs !== 'undefined'))
      expect(l.rtoMs).toBeGreaterThanOrEqual(0);
    expect(lines.find((l) => l.msg === 'restore: files back')?.rtoMs).toBeGreaterThanOrEqual(1500);
    expect(lines.find((l) => l.msg === 'workspace hosted')?.restoredFrom).toBe(manifest.backupId);
    expect(lines.find((l) => l.msg === 'restore: files back')?.rtoMs).toBe(restore!.filesRtoMs);

    // `moe replay` on B's logs (restored, then continued by B): every actor matches its snapshot.
    const logs = readdirSync(join(dirB, 'sessions')).filter((l) => l.endsWith('.jsonl'));
    expect(logs.length).toBeGreaterThan(0);
    for (const l of logs) {
      const report = await replayFile(join(dirB, 'sessions', l));
      expect(report.ok, l).toBe(true);
      expect(report.applied).toBeGreaterThan(0);
      // and the real CLI, as an operator runs it on the restored workspace
      const cli = await runMoe(['replay', join(dirB, 'sessions', l), '--json']);
      expect(cli.code, cli.stdout + cli.stderr).toBe(0);
      expect((JSON.parse(cli.stdout) as { applied: number }).applied).toBe(report.applied);
    }
  }, 120_000);

  it('files not yet back when the node stops are left alone, and restored at its next start', async () => {
    const store = new FsObjectStore(dir('moe-store2-'));
    const dataA = dir('moe-data-a2-');
    const dataB = dir('moe-data-b2-');
    const a = await p.node({ nodeId: 'a2', dataDir: dataA, leaseMs: 1500, storage: store });
    await p.client.runTask('tr', 'w2', 'writer', { prompt: 'write', profile: 'scripted', script: write });
    await a.stop();
    await backupWorkspace(workspaceStore(store, 'tr', 'w2'), { dir: workspaceDir(dataA, 'tr', 'w2') });

    const dirB = workspaceDir(dataB, 'tr', 'w2');
    // B stops while its files are still downloading (held back 1.5 s): they are not moved in after stop.
    const b = await p.node({
      nodeId: 'b2',
      dataDir: dataB,
      leaseMs: 1500,
      storage: slowBlobs(store, 1500, []),
      only: ['tr.w2'],
    });
    await b.waitForWorkspace('tr', 'w2');
    await b.stop();
    await new Promise((r) => setTimeout(r, 2500));
    expect(existsSync(join(dirB, 'db', 'sessions.db'))).toBe(true);
    expect(existsSync(join(dirB, 'files', 'notes', 'x.md'))).toBe(false);
    expect(readFileSync(join(dirB, PENDING_FILES), 'utf8').trim()).not.toBe('');

    // The same data dir, started again: the files come back, the marker goes.
    const b2 = await p.node({ nodeId: 'b3', dataDir: dataB, leaseMs: 1500, storage: store });
    const got = await p.client.runTask('tr', 'w2', 'reader', {
      prompt: 'read',
      profile: 'scripted',
      script: read,
    });
    const [readResult] = toolOutputs(got.records);
    expect(readResult?.output).toContain('# restored on takeover');
    expect(existsSync(join(dirB, PENDING_FILES))).toBe(false);
    await b2.stop();
  });
});
