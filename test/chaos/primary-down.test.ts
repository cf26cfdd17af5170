/**
 * Primary down (issue 8, chaos): the primary store is S3 (a real s3rver, stopped for the outage,
 * through the real @aws-sdk/client-s3), the mirror a shared fs directory; nodes are real `moe
 * node` processes configured by MOE_STORAGE_PRIMARY / MOE_STORAGE_MIRROR.
 *
 *   1. With the primary down, `moe backup --wait` completes (the actor's own verification read
 *      the backup back): it is on the mirror only; `moe backup verify` passes (it restores from
 *      the mirror).
 *   2. The primary comes back: the node's catch-up copies every object of the backup and then its
 *      manifest, and `moe backup verify` against the primary ALONE passes.
 *   3. The primary goes down again; the node is killed (-9) and a node with its own empty data dir
 *      takes the workspace over: restore on takeover reads the mirror, and the agent reads its file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceDir } from '../../workspace-node/index.js';
import { listFiles, workspaceBackupPrefix } from '../../workspace-node/backup/index.js';
import { runMoe } from '../integration/cli.kit.js';
import { S3_BUCKET, startS3rver, type RunningS3 } from '../integration/storage.kit.js';
import { type Platform, eventually, exited, nodeChildren, startPlatform, tempDir } from '../harness/index.js';

let p: Platform;
let s3: RunningS3;
const mirrorDir = tempDir('moe-primary-down-mirror-');
const dataA = tempDir('moe-primary-down-a-');
const dataB = tempDir('moe-primary-down-b-');
beforeAll(async () => {
  p = await startPlatform();
  s3 = await startS3rver();
});
afterAll(async () => {
  await p?.close();
  await s3?.dispose();
  for (const d of [mirrorDir, dataA, dataB]) d.remove();
});

const ORG = 'pd';
const WS = 'w1';
const AWS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };
const primaryUrl = () => s3.url('backups');
const storageEnv = () => ({ ...AWS, MOE_STORAGE_PRIMARY: primaryUrl(), MOE_STORAGE_MIRROR: mirrorDir.path });
/** the CLI against the primary alone: what a reader of that copy sees */
const primaryOnlyEnv = () => ({ ...AWS, MOE_STORAGE_PRIMARY: primaryUrl(), NATS_URL: 'nats://127.0.0.1:1' });

const FILES = {
  'notes/x.md': '# written while the primary was down\n',
  'data/table.csv': 'a,b\n1,2\n'.repeat(500),
};

describe('primary store down', () => {
  it('the backup completes on the mirror, the primary catches up (manifest last), and a takeover restores from the mirror', async () => {
    await s3.stop(); // the primary is down from the start
    const nodes = nodeChildren(p);
    const a = nodes.spawn('node-a', dataA.path, storageEnv(), 'SIGKILL');
    try {
      const wrote = await p.client.runTask(
        ORG,
        WS,
        'writer',
        {
          prompt: 'write',
          profile: 'scripted',
          script: [
            {
              text: 'writing',
              toolCalls: Object.entries(FILES).map(([path, content]) => ({
                name: 'write_file',
                input: { path, content },
              })),
            },
            { text: 'written' },
          ],
        },
        { timeoutMs: 45_000 },
      );
      expect(wrote.outcome.type).toBe('task.completed');

      // 1. The backup completes with the primary down: verified by the actor, on the mirror.
      const backup = await runMoe(
        ['backup', `${ORG}/${WS}`, '--wait', '--json', '--timeout', '90000', '--nats', p.ns.url],
        { env: storageEnv(), timeoutMs: 100_000 },
      );
      expect(backup.code, backup.stdout + backup.stderr).toBe(0);
      const outcome = (JSON.parse(backup.stdout) as { outcome: { type: string; backupId: string } }).outcome;
      expect(outcome.type).toBe('backup.completed');
      const manifestPath = join(
        mirrorDir.path,
        workspaceBackupPrefix(ORG, WS),
        'manifests',
        `${outcome.backupId}.json`,
      );
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
        objects: Array<{ key: string }>;
        files: Array<{ path: string }>;
      };
      expect(manifest.files.map((f) => f.path).sort()).toEqual(Object.keys(FILES).sort());
      const verifyOnMirror = await runMoe(['backup', 'verify', `${ORG}/${WS}`], {
        env: { ...storageEnv(), NATS_URL: 'nats://127.0.0.1:1' },
        timeoutMs: 60_000,
      });
      expect(verifyOnMirror.code, verifyOnMirror.stdout + verifyOnMirror.stderr).toBe(0);

      // 2. The primary comes back: the node's catch-up fills it, and it verifies on its own.
      await s3.start();
      const prefix = `backups/${workspaceBackupPrefix(ORG, WS)}/`;
      const wanted = [...manifest.objects.map((o) => o.key), `manifests/${outcome.backupId}.json`];
      const held = await eventually(
        async () => {
          const objects = await s3Objects(prefix);
          return wanted.every((k) => objects.has(k)) ? objects : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 500, what: 'the primary caught up' },
      );
      // the manifest landed last: no object of the backup is newer than it on the primary
      const manifestAt = held.get(`manifests/${outcome.backupId}.json`)!;
      for (const k of manifest.objects.map((o) => o.key))
        expect(held.get(k)!, k).toBeLessThanOrEqual(manifestAt);
      const verifyPrimary = await runMoe(['backup', 'verify', `${ORG}/${WS}`, '--json'], {
        env: primaryOnlyEnv(),
        timeoutMs: 60_000,
      });
      expect(verifyPrimary.code, verifyPrimary.stdout + verifyPrimary.stderr).toBe(0);
      expect(verifyPrimary.stdout).toContain(outcome.backupId);

      // 3. Primary down again, node A dies; B (empty data dir) restores from the mirror.
      await s3.stop();
      a.kill('SIGKILL');
      await exited(a);
      // B is stopped with kill -9 too: nothing is asserted after the test, and a SIGTERM drains
      // first, which with the primary down again took MOE_DRAIN_TIMEOUT_MS (30 s, waiting for a
      // started effect): half of this file's time, spent on cleanup.
      nodes.spawn('node-b', dataB.path, storageEnv(), 'SIGKILL');
      const read = await p.client.runTask(
        ORG,
        WS,
        'reader',
        {
          prompt: 'read',
          profile: 'scripted',
          script: [
            { text: 'reading', toolCalls: [{ name: 'read_file', input: { path: 'notes/x.md' } }] },
            { text: 'read' },
          ],
        },
        { timeoutMs: 90_000 },
      );
      expect(read.outcome.type).toBe('task.completed');
      const result = read.records
        .map((r) => r.record.cmd)
        .find(
          (c) =>
            c.type === 'effect.result' && typeof (c.data?.value as { callId?: unknown })?.callId === 'string',
        );
      expect((result?.data?.value as { output: string; isError: boolean }).isError).toBe(false);
      expect((result?.data?.value as { output: string }).output).toContain(FILES['notes/x.md']);
      const filesA = join(workspaceDir(dataA.path, ORG, WS), 'files');
      const filesB = join(workspaceDir(dataB.path, ORG, WS), 'files');
      expect(listFiles(filesB)).toEqual(listFiles(filesA));
      for (const f of listFiles(filesA))
        expect(readFileSync(join(filesB, f)).equals(readFileSync(join(filesA, f))), f).toBe(true);
    } finally {
      await nodes.stopAll();
      await s3.start();
    }
  }, 300_000);
});

/** The objects under `prefix` in the s3rver bucket (key relative to it → last modified, ms), straight from the server. */
async function s3Objects(prefix: string): Promise<Map<string, number>> {
  const { S3Client, ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const client = new S3Client({
    endpoint: s3.endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  const objects = new Map<string, number>();
  try {
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: S3_BUCKET, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? [])
        if (o.Key) objects.set(o.Key.slice(prefix.length), o.LastModified?.getTime() ?? NaN);
      token = page.NextContinuationToken;
    } while (token);
  } catch {
    // the server is still coming back: nothing listed yet
  } finally {
    client.destroy();
  }
  return objects;
}
