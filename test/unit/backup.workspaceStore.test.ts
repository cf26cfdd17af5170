/**
 * The per-workspace view of the backup store (workspace-node/backup/workspaceStore.ts): keys land
 * under `workspaces/<org>/<ws>/`, listing strips the prefix, and two workspaces never see each
 * other's backups — which restore on takeover relies on to find a workspace's latest backup.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../storage/index.js';
import { workspaceBackupPrefix, workspaceStore } from '../../workspace-node/backup/index.js';

const root = mkdtempSync(join(tmpdir(), 'moe-wsstore-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('workspaceStore', () => {
  it('puts under workspaces/<org>/<ws>/, lists without the prefix, and keeps workspaces apart', async () => {
    expect(workspaceBackupPrefix('acme', 'main')).toBe('workspaces/acme/main');
    const store = new FsObjectStore(root);
    const a = workspaceStore(store, 'acme', 'main');
    const b = workspaceStore(store, 'acme', 'main2');
    await a.put('manifests/1.json', Buffer.from('{}'));
    await b.put('manifests/2.json', Buffer.from('[]'));
    expect(existsSync(join(root, 'workspaces', 'acme', 'main', 'manifests', '1.json'))).toBe(true);
    const listed = async (s: typeof a) => {
      const keys: string[] = [];
      for await (const e of s.list('manifests/')) keys.push(e.key);
      return keys;
    };
    expect(await listed(a)).toEqual(['manifests/1.json']);
    expect(await listed(b)).toEqual(['manifests/2.json']);
    expect((await a.get('manifests/1.json')).toString()).toBe('{}');
    expect(await a.head('manifests/2.json')).toBeUndefined();
    await a.delete('manifests/1.json');
    expect(await listed(a)).toEqual([]);
  });
});
