/**
 * The backup actor end to end (issue 8 item 2): a real nats-server, workspace-node and gateway, the
 * scripted provider, the fs store. After a task, `POST /api/workspaces/:id/backups` (202) makes the
 * workspace's backup actor journal `backup.completed` on MOE_EVT, with a manifest in the store that
 * verifies; a second request over NATS (`moe backup --wait`'s code) with no new turns is skipped;
 * closing a session asks for a `session-end` backup, which runs because the session added turns.
 * (Creating the workspace made its first, `provision` backup before all of this.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKUP_ACTOR_ID } from '../../actors/index.js';
import { backupCommand } from '../../cli/commands/backup.js';
import { MoeClient, type RecordWithSeq } from '../../client/index.js';
import { openStore } from '../../storage/index.js';
import { latestBackup, verifyBackup } from '../../workspace-node/backup/index.js';
import { workspaceStore } from '../../workspace-node/backup/workspaceStore.js';
import { tempDir } from '../harness/index.js';
import { call, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

const storeDir = tempDir('moe-backup-store-');
let stack: Stack;
let auth: { authorization: string };
let org: string;
let ws: string;
let client: MoeClient;

beforeAll(async () => {
  process.env.MOE_STORAGE_PRIMARY = storeDir.path; // the node's store (storeFromEnv)
  stack = await startStack();
  client = new MoeClient(stack.nc);
  auth = (await registerAndLogin(stack.gw, 'backer')).auth;
  org = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/orgs', { name: 'Backup' })).body.id;
  ws = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/workspaces', { org, name: 'w' })).body.id;
  // creating the workspace provisions it with a first backup: the test's outcomes come after it
  const provisioned = await untilOutcomes(1);
  expect(outcomes(provisioned)[0]).toMatchObject({ type: 'backup.completed', reason: 'provision' });
  afterSeq = provisioned.at(-1)!.seq;
});
afterAll(async () => {
  await stack?.stop();
  delete process.env.MOE_STORAGE_PRIMARY;
  storeDir.remove();
});

const outcomeTypes = ['backup.completed', 'backup.skipped', 'backup.failed'];
const backupActor = () => ({ org, ws, kind: 'backup', id: BACKUP_ACTOR_ID });
const outcomes = (records: RecordWithSeq[]) =>
  records.flatMap((r) => r.record.events).filter((e) => outcomeTypes.includes(e.type));

/** Journal sequence of the provisioning backup's outcome: the test's own records come after it. */
let afterSeq = 0;

/** Follows the backup actor until it has journaled `n` outcomes after `afterSeq`; those records. */
const untilOutcomes = async (n: number) => {
  let seen = 0;
  const records = await client.follow(
    backupActor(),
    (r) =>
      r.seq > afterSeq && (seen += r.record.events.filter((e) => outcomeTypes.includes(e.type)).length) >= n,
    { timeoutMs: 60_000 },
  );
  return records.filter((r) => r.seq > afterSeq);
};

describe('the backup actor', () => {
  it('backs up on a REST request, skips an unchanged workspace, and backs up at session end', async () => {
    const ran = await client.runTask(org, ws, 'bt1', { prompt: 'hi', script: [{ text: 'done' }] });
    expect(ran.outcome.type).toBe('task.completed');

    // on demand over REST: 202 with the command id; the outcome is journaled on MOE_EVT
    const req = await call<{ command: string }>(stack.gw, auth, 'POST', `/api/workspaces/${ws}/backups`);
    expect(req.status).toBe(202);
    const first = await untilOutcomes(1);
    expect(first[0]!.record.cmd.id).toBe(req.body.command);
    const [completed] = outcomes(first);
    expect(completed).toMatchObject({ type: 'backup.completed', reason: 'manual' });
    const done = completed as unknown as { backupId: string; journalSeq: number; objects: number };
    expect(done.objects).toBeGreaterThan(0);

    // the manifest is in the fs store, under the workspace's prefix, and verifies
    const store = workspaceStore(openStore(storeDir.path), org, ws);
    const latest = await latestBackup(store);
    expect(latest?.backupId).toBe(done.backupId);
    expect(latest?.journalSeq).toBe(done.journalSeq);
    expect((await verifyBackup(store, done.backupId)).ok).toBe(true);

    // over NATS, as `moe backup <org>/<ws> --wait` does: no new turns since, so it is skipped
    const printed: string[] = [];
    const code = await backupCommand(
      { org, workspace: ws, force: false, wait: true, json: true, natsUrl: stack.ns.url, timeoutMs: 60_000 },
      (s) => printed.push(s),
    );
    expect(code).toBe(0);
    expect(JSON.parse(printed[0]!).outcome).toMatchObject({
      type: 'backup.skipped',
      backupId: done.backupId,
    });

    // a session's end asks for a backup; its own turns are new activity, so it runs
    const opened = await call<{ id: string }>(stack.gw, auth, 'POST', `/api/workspaces/${ws}/sessions`, {});
    expect(opened.status).toBe(201);
    const closed = await call(stack.gw, auth, 'POST', `/api/sessions/${opened.body.id}/close`, {});
    expect(closed.status).toBe(200);
    const third = outcomes(await untilOutcomes(3))[2];
    expect(third).toMatchObject({ type: 'backup.completed', reason: 'session-end' });
    expect((await latestBackup(store))?.backupId).toBe((third as unknown as { backupId: string }).backupId);
  });

  it('refuses a backup request from a member who is not an org admin', async () => {
    const other = await registerAndLogin(stack.gw, 'member');
    const added = await call(stack.gw, auth, 'POST', `/api/orgs/${org}/members`, {
      email: other.email,
      role: 'member',
    });
    expect(added.status).toBeLessThan(300);
    const r = await call<{ error: { code: string } }>(
      stack.gw,
      other.auth,
      'POST',
      `/api/workspaces/${ws}/backups`,
    );
    expect(r.status).toBe(403);
  });
});
