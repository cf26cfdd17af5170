/**
 * kill -9 mid-backup (issue 8, chaos): a `moe node` process is SIGKILLed while its backup actor
 * uploads a backup. The kill is placed with MOE_FAULT_KILL_DURING_BACKUP_UPLOAD (the node kills
 * itself right after the 3rd object of the backup is stored, before the manifest), so the window
 * is hit every time. Afterwards objects of the broken run are in the store but no manifest:
 * `moe backup list` shows no backup. The node started again on its data dir re-drives the backup
 * effect; that run completes (`backup.completed`, after the actor's own verification), `moe backup
 * list` shows exactly one backup and `moe backup verify` passes on it. Real nats-server, real node
 * processes killed and stopped by pid, the real CLI against an fs store shared by path.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceBackupPrefix } from '../../workspace-node/backup/index.js';
import { runMoe } from '../integration/cli.kit.js';
import {
  type Platform,
  eventually,
  exited,
  startPlatform,
  tempDir,
  withNodeChildren,
} from '../harness/index.js';

let p: Platform;
const store = tempDir('moe-kill-backup-store-');
const data = tempDir('moe-kill-backup-data-');
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => {
  await p?.close();
  store.remove();
  data.remove();
});

const ORG = 'kb';
const WS = 'w1';
const env = () => ({ MOE_STORAGE_PRIMARY: store.path, NATS_URL: p.ns.url });

/** Every file under the workspace's prefix in the store, relative to it. */
function storedKeys(): string[] {
  const root = join(store.path, workspaceBackupPrefix(ORG, WS));
  try {
    return readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(root.length + 1));
  } catch {
    return [];
  }
}

async function backupEvents(): Promise<string[]> {
  const recs = await p.records(`moe.evt.${ORG}.${WS}.backup.>`);
  return recs.flatMap((r) => r.record.events.map((e) => e.type));
}

describe('kill -9 mid-backup', () => {
  it('leaves no manifest, and the next run (the node restarted) completes and verifies', async () => {
    await withNodeChildren(p, async (nodes) => {
      const first = nodes.spawn(
        'node-a',
        data.path,
        {
          MOE_STORAGE_PRIMARY: store.path,
          MOE_FAULT_KILL_DURING_BACKUP_UPLOAD: '3',
        },
        'SIGKILL',
      );
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
              toolCalls: [
                { name: 'write_file', input: { path: 'notes/a.md', content: 'a'.repeat(5000) } },
                { name: 'write_file', input: { path: 'notes/b.md', content: 'b'.repeat(5000) } },
              ],
            },
            { text: 'written' },
          ],
        },
        { timeoutMs: 45_000 },
      );
      expect(wrote.outcome.type).toBe('task.completed');

      const asked = await runMoe(['backup', `${ORG}/${WS}`, '--force', '--nats', p.ns.url], { env: env() });
      expect(asked.code, asked.stderr).toBe(0);
      await exited(first);
      expect(first.signalCode).toBe('SIGKILL');

      // The broken run left objects, but no manifest: no backup exists.
      const left = storedKeys();
      expect(left.filter((k) => !k.startsWith('manifests')).length).toBeGreaterThanOrEqual(3);
      expect(left.filter((k) => k.startsWith('manifests'))).toEqual([]);
      const none = await runMoe(['backup', 'list', `${ORG}/${WS}`, '--json'], { env: env() });
      expect(none.code, none.stderr).toBe(0);
      expect((JSON.parse(none.stdout) as { backups: unknown[] }).backups).toEqual([]);
      expect(await backupEvents()).not.toContain('backup.completed');

      // Restarted without the fault: the interrupted backup effect is re-driven and completes.
      nodes.spawn('node-b', data.path, { MOE_STORAGE_PRIMARY: store.path });
      await eventually(async () => ((await backupEvents()).includes('backup.completed') ? true : undefined), {
        timeoutMs: 60_000,
        what: 'backup.completed after the restart',
      });
      const events = await backupEvents();
      expect(events).not.toContain('backup.failed');
      expect(events.filter((e) => e === 'backup.completed')).toHaveLength(1);

      const list = await runMoe(['backup', 'list', `${ORG}/${WS}`, '--json'], { env: env() });
      expect(list.code, list.stderr).toBe(0);
      const backups = (JSON.parse(list.stdout) as { backups: Array<{ backupId: string; files: number }> })
        .backups;
      expect(backups).toHaveLength(1);
      expect(backups[0]!.files).toBe(2);
      const verify = await runMoe(['backup', 'verify', `${ORG}/${WS}`], { env: env(), timeoutMs: 60_000 });
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
      expect(verify.stdout).toContain(backups[0]!.backupId);
    });
  }, 180_000);
});
