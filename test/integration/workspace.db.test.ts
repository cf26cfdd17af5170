/**
 * workspace.db holds the workspace's metadata (issue 8 item 8): a real nats-server, real
 * workspace-nodes with their own data dirs, real SQLite, an fs object store. After two backups the
 * node's workspace.db lists both in its catalogue (id, reason, bytes) and the lease it acquired;
 * stopping the node records the release; the second backup's copy of workspace.db (restored from
 * the store) holds the first backup and the lease; a second node that takes the workspace over
 * restores that history and adds its own lease and its backups to it.
 */
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKUP_ACTOR_ID } from '../../actors/index.js';
import { MoeClient } from '../../client/index.js';
import { FsObjectStore } from '../../storage/index.js';
import { readManifest, restoreBackup, workspaceStore } from '../../workspace-node/backup/index.js';
import { ensureStreams, startWorkspaceNode, type WorkspaceNode } from '../../workspace-node/index.js';
import { eventually, startNatsServer, tempDirs, type NatsServerHandle } from '../harness/index.js';

let ns: NatsServerHandle;
let nc: NatsConnection;
let client: MoeClient;
let store: FsObjectStore;
const nodes: WorkspaceNode[] = [];
const dirs = tempDirs();
const dir = (prefix: string) => dirs.make(prefix);

beforeAll(async () => {
  ns = await startNatsServer();
  nc = await connect({ servers: ns.url });
  await ensureStreams(nc, await jetstreamManager(nc));
  client = new MoeClient(nc);
  store = new FsObjectStore(dir('moe-wsdb-store-'));
});
afterAll(async () => {
  for (const n of nodes) await n.stop();
  await nc?.close();
  await ns?.stop();
  dirs.removeAll();
});

const actor = { org: 'acme', ws: 'main', kind: 'backup', id: BACKUP_ACTOR_ID };
let n = 0;

/** Asks the backup actor for a forced backup and waits for it; its id. */
async function backUp(): Promise<string> {
  const id = `wsdb-${++n}`;
  let mine = false;
  const records = await client.follow(
    actor,
    (r) => {
      if (r.record.cmd.id === id) mine = true;
      return mine && r.record.events.some((e) => e.type === 'backup.completed' || e.type === 'backup.failed');
    },
    { timeoutMs: 60_000 },
  );
  const done = records.at(-1)!.record.events.find((e) => e.type === 'backup.completed');
  expect(done, JSON.stringify(records.at(-1)!.record.events)).toBeDefined();
  return (done as unknown as { backupId: string }).backupId;
}
const request = async (reason: 'provision' | 'manual') => {
  const waiting = backUp();
  await client.send(actor, {
    id: `wsdb-${n}`,
    type: 'backup.request',
    data: { reason, force: true },
    session: BACKUP_ACTOR_ID,
  });
  return waiting;
};

const startNode = async (nodeId: string, dataDir: string) => {
  const node = await startWorkspaceNode({
    natsUrl: ns.url,
    dataDir,
    nodeId,
    storage: store,
    leaseMs: 3000,
    only: ['acme.main'],
    logger: pino({ level: 'silent' }),
  });
  nodes.push(node);
  return node;
};

function read(path: string) {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return {
      version: db.pragma('user_version', { simple: true }) as number,
      backups: db
        .prepare('SELECT backup_id, reason, bytes, objects FROM backups ORDER BY seq')
        .all() as Array<{
        backup_id: string;
        reason: string;
        bytes: number;
        objects: number;
      }>,
      leases: db.prepare('SELECT node, event FROM lease_history ORDER BY id').all() as Array<{
        node: string;
        event: string;
      }>,
      config: Object.fromEntries(
        (db.prepare('SELECT k, v FROM config').all() as Array<{ k: string; v: string }>).map((r) => [
          r.k,
          r.v,
        ]),
      ),
    };
  } finally {
    db.close();
  }
}

describe('workspace.db', () => {
  it('records leases and completed backups, travels in the backup, and keeps its history across a takeover', async () => {
    const dataA = dir('moe-wsdb-a-');
    const a = await startNode('node-a', dataA);
    const first = await request('provision');
    const dbA = join(dataA, 'workspaces', 'acme', 'main', 'db', 'workspace.db');
    // the catalogue is a projection (a worker thread): the row follows the journaled completion
    await eventually(() => (read(dbA).backups.length === 1 ? true : undefined));
    const second = await request('manual');

    const onA = await eventually(() => {
      const r = read(dbA);
      return r.backups.length === 2 ? r : undefined;
    });
    expect(onA.version).toBe(1);
    expect(onA.backups.map((b) => [b.backup_id, b.reason])).toEqual([
      [first, 'provision'],
      [second, 'manual'],
    ]);
    for (const b of onA.backups) expect(b.bytes).toBeGreaterThan(0);
    expect(onA.leases).toEqual([{ node: 'node-a', event: 'acquired' }]);
    expect(onA.config).toMatchObject({ org: 'acme', ws: 'main', first_hosted_by: 'node-a' });

    // part of the backup: the second backup's copy knows the first backup and the lease
    const wsStore = workspaceStore(store, 'acme', 'main');
    const manifest = await readManifest(wsStore, second);
    expect(manifest.schemaVersions.databases.workspace).toBe(1);
    const restoredDir = dir('moe-wsdb-restored-');
    await restoreBackup(wsStore, manifest, restoredDir);
    const copy = read(join(restoredDir, 'db', 'workspace.db'));
    expect(copy.backups.map((b) => b.backup_id)).toEqual([first]);
    expect(copy.leases).toEqual([{ node: 'node-a', event: 'acquired' }]);

    await a.stop();
    nodes.splice(nodes.indexOf(a), 1);
    expect(read(dbA).leases).toEqual([
      { node: 'node-a', event: 'acquired' },
      { node: 'node-a', event: 'released' },
    ]);

    // another node, empty data dir: restores workspace.db with the rest, then adds to it
    const dataB = dir('moe-wsdb-b-');
    await startNode('node-b', dataB);
    const third = await request('manual');
    const dbB = join(dataB, 'workspaces', 'acme', 'main', 'db', 'workspace.db');
    const onB = await eventually(() => {
      const r = read(dbB);
      return r.backups.some((b) => b.backup_id === third) ? r : undefined;
    });
    expect(onB.leases).toEqual([
      { node: 'node-a', event: 'acquired' },
      { node: 'node-b', event: 'acquired' },
    ]);
    expect(onB.backups.map((b) => b.backup_id)).toContain(first);
    expect(onB.config).toMatchObject({ first_hosted_by: 'node-a' });
  });
});
