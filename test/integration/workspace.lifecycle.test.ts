/**
 * Workspace lifecycle (issue 8 item 8, seed 000 flow 1) through the real gateway, a real
 * workspace-node, a real nats-server and an fs object store:
 * - creating a workspace provisions it: the node hosts it (lease, directory with its six
 *   databases, durable consumer) and its first backup manifest is in the store, verified; the API
 *   says `provisioning`, then `provisioned` with that backup's id; its workspace.db holds its name
 *   and the org's members from tenancy;
 * - deleting it (org admins only) tears it down: no consumer, no lease, no local directory, no
 *   MOE_EVT / MOE_CMD entries for it; its backups stay, marked deleted; a late command never
 *   brings it back.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import Database from 'better-sqlite3';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKUP_ACTOR_ID } from '../../actors/index.js';
import { buildGateway, type Gateway } from '../../gateway/index.js';
import {
  KV_BUCKETS,
  parseRetirement,
  placementKey,
  retirementKey,
  STREAMS,
  workspaceConsumerName,
} from '../../schemas/index.js';
import { FsObjectStore } from '../../storage/index.js';
import {
  DELETED_KEY,
  listBackups,
  readDeletedMarker,
  verifyBackup,
  workspaceStore,
} from '../../workspace-node/backup/index.js';
import { ensureStreams, startWorkspaceNode, type WorkspaceNode } from '../../workspace-node/index.js';
import { eventually, startNatsServer, tempDir, type NatsServerHandle } from '../harness/index.js';
import { call, JWT_SECRET, registerAndLogin } from './gateway.fixture.js';

let ns: NatsServerHandle;
let nc: NatsConnection;
let jsm: JetStreamManager;
let node: WorkspaceNode;
let gw: Gateway;
let store: FsObjectStore;
let placement: KV;
let retired: KV;
const dirs: Array<{ path: string; remove(): void }> = [];
let dataDir: string;
let owner: Awaited<ReturnType<typeof registerAndLogin>>;
let member: Awaited<ReturnType<typeof registerAndLogin>>;
let org: string;

beforeAll(async () => {
  ns = await startNatsServer();
  nc = await connect({ servers: ns.url });
  jsm = await jetstreamManager(nc);
  await ensureStreams(nc, jsm);
  const data = tempDir('moe-lifecycle-data-');
  const storeDir = tempDir('moe-lifecycle-store-');
  dirs.push(data, storeDir);
  dataDir = data.path;
  store = new FsObjectStore(storeDir.path);
  node = await startWorkspaceNode({
    natsUrl: ns.url,
    dataDir,
    nodeId: 'lifecycle-node',
    storage: store,
    leaseMs: 6000,
    logger: (await import('pino')).pino({ level: 'silent' }),
  });
  gw = await buildGateway({ nc, jwtSecret: JWT_SECRET, logger: false });
  const kvm = new Kvm(nc);
  placement = await kvm.open(KV_BUCKETS.placement);
  retired = await kvm.open(KV_BUCKETS.retired);
  owner = await registerAndLogin(gw, 'lc-owner');
  member = await registerAndLogin(gw, 'lc-member');
  org = (await call<{ id: string }>(gw, owner.auth, 'POST', '/api/orgs', { name: 'Lifecycle' })).body.id;
  expect(
    (await call(gw, owner.auth, 'POST', `/api/orgs/${org}/members`, { email: member.email, role: 'member' }))
      .status,
  ).toBe(201);
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await node?.stop();
  await nc?.close();
  await ns?.stop();
  for (const d of dirs) d.remove();
});

type Provisioning = { state: string; firstBackupId: string | null; lastBackupId: string | null };
type WorkspaceBody = { id: string; provisioning: Provisioning };

async function entriesUnder(stream: string, filter: string): Promise<number> {
  const info = await jsm.streams.info(stream, { subjects_filter: filter });
  return Object.values(info.state.subjects ?? {}).reduce((n, c) => n + c, 0);
}

async function createWorkspace(name: string): Promise<string> {
  const created = await call<WorkspaceBody>(gw, owner.auth, 'POST', '/api/workspaces', { org, name });
  expect(created.status).toBe(201);
  // asynchronous, and the answer says so
  expect(created.body.provisioning.state).toBe('provisioning');
  return created.body.id;
}

async function provisioned(ws: string): Promise<Provisioning> {
  return eventually(
    async () => {
      const r = await call<WorkspaceBody>(gw, owner.auth, 'GET', `/api/workspaces/${ws}`);
      return r.body.provisioning.state === 'provisioned' ? r.body.provisioning : undefined;
    },
    { timeoutMs: 60_000 },
  );
}

describe('workspace lifecycle', () => {
  it('creating a workspace provisions it: hosted (lease, dir, six databases, consumer) and a first verified backup', async () => {
    const ws = await createWorkspace('provisioned');
    const p = await provisioned(ws);
    expect(p.firstBackupId).toEqual(expect.any(String));
    expect(p.lastBackupId).toBe(p.firstBackupId);

    expect(node.hosts.has(`${org}.${ws}`)).toBe(true);
    const dir = join(dataDir, 'workspaces', org, ws);
    expect(readdirSync(join(dir, 'db')).filter((f) => f.endsWith('.db'))).toHaveLength(6);
    expect(existsSync(join(dir, 'files'))).toBe(true);
    const lease = await placement.get(placementKey(org, ws));
    expect(lease?.json<{ node: string }>().node).toBe('lifecycle-node');
    expect(
      (await jsm.consumers.info(STREAMS.commands, workspaceConsumerName(org, ws))).config.filter_subject,
    ).toBe(`moe.cmd.${org}.${ws}.>`);
    const backups = await listBackups(workspaceStore(store, org, ws));
    expect(backups.map((b) => b.backupId)).toEqual([p.firstBackupId]);
    expect(backups[0]!.databases.map((d) => d.name).sort()).toContain('workspace');
    const verified = await verifyBackup(workspaceStore(store, org, ws), p.firstBackupId!);
    expect(verified.problems).toEqual([]);
    // workspace.db holds what tenancy says of it: its name and creator, the org's members and roles
    const meta = await eventually(() => {
      const db = new Database(join(dir, 'db', 'workspace.db'), { readonly: true });
      try {
        const config = Object.fromEntries(
          (db.prepare('SELECT k, v FROM config').all() as Array<{ k: string; v: string }>).map((r) => [
            r.k,
            r.v,
          ]),
        );
        const members = db.prepare('SELECT user, role FROM members ORDER BY role').all();
        return config.name === 'provisioned' && members.length === 2 ? { config, members } : undefined;
      } finally {
        db.close();
      }
    });
    expect(meta.config).toMatchObject({ org, ws, name: 'provisioned', created_by: owner.id });
    expect(meta.members).toEqual([
      { user: member.id, role: 'member' },
      { user: owner.id, role: 'owner' },
    ]);
    // the list shows it too
    const list = await call<{ workspaces: WorkspaceBody[] }>(
      gw,
      owner.auth,
      'GET',
      `/api/workspaces?org=${org}`,
    );
    expect(list.body.workspaces.find((w) => w.id === ws)?.provisioning.state).toBe('provisioned');
  });

  it('deleting needs an org admin; then the consumer, lease, local data and journal are gone, the backups stay', async () => {
    const ws = await createWorkspace('to-delete');
    const { firstBackupId } = await provisioned(ws);
    const key = `${org}.${ws}`;

    const denied = await call<{ error: { code: string } }>(
      gw,
      member.auth,
      'DELETE',
      `/api/workspaces/${ws}`,
    );
    expect(denied.status).toBe(403);
    expect(node.hosts.has(key)).toBe(true);

    const deleted = await call<{ state: string }>(gw, owner.auth, 'DELETE', `/api/workspaces/${ws}`);
    expect(deleted.status).toBe(202);
    expect(deleted.body.state).toBe('deleting');
    expect((await call(gw, owner.auth, 'GET', `/api/workspaces/${ws}`)).status).toBe(404);

    const record = await eventually(
      async () => {
        const e = await retired.get(retirementKey(org, ws));
        const rec = e ? parseRetirement(e.value) : null;
        return rec?.state === 'deleted' ? rec : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(record.node).toBe('lifecycle-node');
    expect(node.hosts.has(key)).toBe(false);
    expect(existsSync(join(dataDir, 'workspaces', org, ws))).toBe(false);
    await expect(jsm.consumers.info(STREAMS.commands, workspaceConsumerName(org, ws))).rejects.toThrow();
    const lease = await placement.get(placementKey(org, ws));
    expect(lease === null || lease.operation !== 'PUT').toBe(true);
    expect(await entriesUnder(STREAMS.events, `moe.evt.${org}.${ws}.>`)).toBe(0);
    expect(await entriesUnder(STREAMS.commands, `moe.cmd.${org}.${ws}.>`)).toBe(0);

    // the backups are kept, with the deletion marked for their retention window
    const wsStore = workspaceStore(store, org, ws);
    expect((await listBackups(wsStore)).map((b) => b.backupId)).toContain(firstBackupId);
    expect((await readDeletedMarker(wsStore))?.deletedAt).toBe(record.deletedAt);
    expect(await wsStore.head(DELETED_KEY)).toBeDefined();

    // a late command (over NATS, past the gateway) does not bring it back: purged, never hosted
    await gw.ctx.bus.publish(
      { org, ws, kind: 'backup', id: BACKUP_ACTOR_ID },
      'backup.request',
      { reason: 'manual', force: true },
      { id: 'late-command-1', session: BACKUP_ACTOR_ID },
    );
    await eventually(
      async () => ((await entriesUnder(STREAMS.commands, `moe.cmd.${org}.${ws}.>`)) === 0 ? true : undefined),
      {
        timeoutMs: 30_000,
      },
    );
    expect(node.hosts.has(key)).toBe(false);
    expect(existsSync(join(dataDir, 'workspaces', org, ws))).toBe(false);
    expect(await entriesUnder(STREAMS.events, `moe.evt.${org}.${ws}.>`)).toBe(0);
  });
});
