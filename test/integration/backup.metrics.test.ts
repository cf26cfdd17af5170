/**
 * Backup figures at the supervisor (issue 8 item 5): real nats-server, workspace-nodes, supervisor,
 * a primary fs store with an S3 mirror (s3rver). After a backup, `/api/status` and `/metrics` show
 * the last good backup with a plausible age; with the mirror down the mirror lag is above 0 and
 * goes back to 0 once the mirror caught up; the verification schedule (simulated time) verifies
 * the latest backup again and its result shows up (also a failed one, after an object was
 * corrupted); a backup that fails is shown as the last failure.
 */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKUP_ACTOR_ID } from '../../actors/index.js';
import { MirroredStore, openStore } from '../../storage/index.js';
import {
  startSupervisor,
  type Supervisor,
  type SupervisorStatus,
  type WorkspaceStatus,
} from '../../supervisor/index.js';
import { eventually, silent, startPlatform, tempDir, type Platform } from '../harness/index.js';
import { simulatedClock } from '../fakes/simulatedClock.js';
import { CountingStore } from './backup.kit.js';
import { S3RVER_CLIENT, startS3rver, type RunningS3 } from './storage.kit.js';

let p: Platform;
let sup: Supervisor;
let s3: RunningS3;
const primaryDir = tempDir('moe-metrics-primary-');
const plainDir = tempDir('moe-metrics-plain-');
let mirrored: MirroredStore;
const started = Date.now();

beforeAll(async () => {
  p = await startPlatform();
  s3 = await startS3rver();
  mirrored = new MirroredStore({
    primary: openStore(primaryDir.path),
    mirror: openStore(s3.url('mirror'), S3RVER_CLIENT),
    // catch-up retried every 0.2-1 s, so the test sees the mirror catch up soon after it is back
    retry: { maxAttempts: Infinity, baseDelayMs: 200, maxDelayMs: 1_000 },
  });
  sup = await startSupervisor({ nc: p.nc, id: 'sup-metrics', port: 0, logger: silent });
});
afterAll(async () => {
  await sup?.stop();
  await p?.close();
  mirrored?.close();
  await s3?.dispose();
  primaryDir.remove();
  plainDir.remove();
});

const backupOf = (ws: string) => ({ org: 'bm', ws, kind: 'backup', id: BACKUP_ACTOR_ID });
const orgOf = (ws: string) => ({ org: 'bm', ws, kind: 'org', id: 'o1' });

type Outcome = { type: string; backupId?: string; ok?: boolean; at?: number; code?: string };

/** The backup actor's outcome events so far. */
async function backupEvents(ws: string): Promise<Outcome[]> {
  const records = await p.records(`moe.evt.bm.${ws}.backup.${BACKUP_ACTOR_ID}`);
  return records.flatMap((r) => r.record.events as Outcome[]);
}

/** Adds a turn (activity), asks for a backup, and waits for its `n`-th outcome of `type`. */
async function backUp(ws: string, n: number, type = 'backup.completed'): Promise<Outcome> {
  await p.client.request(orgOf(ws), { id: `act-${ws}-${n}`, type: 'org.create', data: { name: `n${n}` } });
  await p.client.send(backupOf(ws), {
    id: `backup-${ws}-${n}`,
    type: 'backup.request',
    data: { reason: 'manual', force: true },
  });
  return eventually(async () => (await backupEvents(ws)).filter((e) => e.type === type)[n - 1], {
    timeoutMs: 90_000,
    what: `${type} #${n} of bm.${ws}`,
  });
}

async function status(): Promise<SupervisorStatus> {
  const res = await fetch(`${sup.url}/api/status`);
  expect(res.status).toBe(200);
  return (await res.json()) as SupervisorStatus;
}

/** The workspace's backup status once `ok` holds for it. */
function backupStatus(ws: string, ok: (b: NonNullable<WorkspaceStatus['backup']>) => boolean, what: string) {
  return eventually(
    async () => {
      const b = (await status()).workspaces.find((w) => w.workspace === `bm.${ws}`)?.backup;
      return b && ok(b) ? b : undefined;
    },
    { timeoutMs: 60_000, what },
  );
}

/** One sample of `/metrics`: the value of `name` with exactly these labels. */
async function metric(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const res = await fetch(`${sup.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  for (const line of (await res.text()).split('\n')) {
    const m = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const [, k, v] of m[2]!.matchAll(/(\w+)="([^"]*)"/g)) got[k!] = v!;
    if (JSON.stringify(Object.entries(got).sort()) === JSON.stringify(Object.entries(labels).sort()))
      return Number(m[3]);
  }
  return undefined;
}

const eventuallyMetric = (name: string, labels: Record<string, string>, ok: (v: number) => boolean) =>
  eventually(
    async () => {
      const v = await metric(name, labels);
      return v !== undefined && ok(v) ? v : undefined;
    },
    { timeoutMs: 60_000, what: `${name} ${JSON.stringify(labels)}` },
  );

describe('backup status and metrics at the supervisor', () => {
  it('shows the last good backup with a plausible age in /api/status, /metrics and the dashboard', async () => {
    await p.node({ nodeId: 'm1', only: ['bm.a'], storage: mirrored });
    const completed = await backUp('a', 1);
    const b = await backupStatus('a', (x) => x.lastBackup?.id === completed.backupId, 'the backup reported');
    expect(b.node).toBe('m1');
    const madeAt = b.lastBackup!.at!;
    expect(madeAt).toBeGreaterThanOrEqual(started);
    expect(madeAt).toBeLessThanOrEqual(Date.now());
    expect(b.ageMs).toBeGreaterThanOrEqual(0);
    expect(b.ageMs).toBeLessThanOrEqual(Date.now() - started);
    expect(b.lastVerify).toMatchObject({ backupId: completed.backupId, ok: true, scheduled: false });
    expect(b.lastFailure).toBeNull();
    expect(b.verifyIntervalMs).toBe(24 * 3600_000);
    expect(b.pending).toEqual({ mirror: 0, primary: 0 });
    expect(b.mirrorLagMs).toBe(0);

    const labels = { org: 'bm', ws: 'a' };
    expect(await metric('moe_backup_last_success_timestamp_seconds', labels)).toBe(madeAt / 1000);
    const age = (await metric('moe_backup_age_seconds', labels))!;
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThanOrEqual((Date.now() - madeAt) / 1000);
    expect(await metric('moe_backup_last_verify_ok', labels)).toBe(1);
    expect(await metric('moe_backup_mirror_pending_objects', { ...labels, copy: 'mirror' })).toBe(0);
    expect(await metric('moe_backup_mirror_lag_seconds', labels)).toBe(0);
    expect(await metric('moe_backup_last_failure_timestamp_seconds', labels)).toBeUndefined();

    const page = await (await fetch(`${sup.url}/`)).text();
    expect(page).toContain('Backups');
    expect(page).toContain('w.backup');
  });

  it('reports the mirror lag while the mirror is down, and 0 again after it caught up', async () => {
    await s3.stop();
    const completed = await backUp('a', 2); // the mirror's outage does not fail the backup
    // eventually: a heartbeat sent during the upload already shows the lag, with the older backup
    const behind = await backupStatus(
      'a',
      (x) => x.pending.mirror > 0 && x.mirrorLagMs > 0 && x.lastBackup?.id === completed.backupId,
      'mirror behind, the new backup reported',
    );
    expect(behind.lastBackup?.id).toBe(completed.backupId);
    expect(behind.pending.primary).toBe(0);
    const labels = { org: 'bm', ws: 'a' };
    await eventuallyMetric('moe_backup_mirror_pending_objects', { ...labels, copy: 'mirror' }, (v) => v > 0);
    await eventuallyMetric('moe_backup_mirror_lag_seconds', labels, (v) => v > 0);

    await s3.start();
    const synced = await backupStatus('a', (x) => x.pending.mirror === 0, 'mirror caught up');
    expect(synced.mirrorLagMs).toBe(0);
    expect(synced.behindSince).toBeNull();
    await eventuallyMetric(
      'moe_backup_mirror_pending_objects',
      { ...labels, copy: 'mirror' },
      (v) => v === 0,
    );
    expect(await metric('moe_backup_mirror_lag_seconds', labels)).toBe(0);
    // and the mirror really holds the backup now
    const mirror = openStore(s3.url('mirror'), S3RVER_CLIENT);
    expect(await mirror.head(`workspaces/bm/a/manifests/${completed.backupId}.json`)).toBeDefined();
  });

  it('verifies the latest backup again on its schedule, and reports a verification that fails', async () => {
    // Simulated time that follows the wall clock (so the node's heartbeat and lease stay current)
    // and jumps ahead when the test moves it on.
    const clock = simulatedClock();
    const follow = setInterval(() => clock.advance(Math.max(0, Date.now() - clock.now())), 100);
    try {
      await p.node({ nodeId: 'm2', only: ['bm.v'], storage: openStore(plainDir.path), clock });
      const completed = await backUp('v', 1);
      // the schedule: every minute (the smallest interval) instead of the default day
      await p.client.request(backupOf('v'), {
        id: 'verify-every-minute',
        type: 'backup.schedule',
        data: { verifyIntervalMs: 60_000 },
      });
      // Moves time on in small steps until a verification with `ok` is journaled. The timers are
      // due at NATS time + 1 min, so once the clock is a minute ahead a few checks may run back
      // to back: the status must show one of those journaled, the latest it saw.
      const verified = async (ok: boolean) =>
        eventually(
          async () => {
            clock.advance(2_000);
            return (await backupEvents('v')).find((e) => e.type === 'backup.verified' && e.ok === ok);
          },
          { timeoutMs: 60_000, intervalMs: 100, what: `a scheduled verification with ok ${ok}` },
        );
      const journaledAt = async (ok: boolean) =>
        (await backupEvents('v')).filter((e) => e.type === 'backup.verified' && e.ok === ok).map((e) => e.at);
      const first = await verified(true);
      expect(first).toMatchObject({ backupId: completed.backupId, ok: true, problems: 0 });
      const b = await backupStatus('v', (x) => x.lastVerify?.scheduled === true, 'scheduled verification');
      expect(b.lastVerify).toMatchObject({ ok: true, backupId: completed.backupId });
      expect(await journaledAt(true)).toContain(b.lastVerify!.at);
      expect(b.verifyIntervalMs).toBe(60_000);
      const labels = { org: 'bm', ws: 'v' };
      const verifiedAt = (await metric('moe_backup_last_verify_timestamp_seconds', labels))!;
      expect((await journaledAt(true)).map((at) => at! / 1000)).toContain(verifiedAt);
      expect(await metric('moe_backup_last_verify_ok', labels)).toBe(1);

      // corrupt every database snapshot of the backup: the next scheduled check finds it
      const dbDir = join(plainDir.path, 'workspaces', 'bm', 'v', 'db');
      const snapshots = readdirSync(dbDir, { recursive: true, encoding: 'utf8' })
        .map((f) => join(dbDir, f))
        .filter((f) => statSync(f).isFile());
      expect(snapshots.length).toBeGreaterThan(0);
      for (const f of snapshots) writeFileSync(f, 'not a database');
      const bad = await verified(false);
      expect(bad).toMatchObject({ backupId: completed.backupId, ok: false });
      expect(bad.code).toMatch(/^MOE_ERR_/);
      await eventuallyMetric('moe_backup_last_verify_ok', labels, (v) => v === 0);
      const failed = await backupStatus('v', (x) => x.lastVerify?.ok === false, 'failed verification');
      expect(failed.lastVerify).toMatchObject({ code: bad.code, scheduled: true });
      expect(await journaledAt(false)).toContain(failed.lastVerify!.at);
    } finally {
      clearInterval(follow);
    }
  });

  it('shows a backup that failed as the last failure, with no good backup', async () => {
    const failing = new CountingStore(openStore(plainDir.path));
    failing.failAfter(0); // every put fails
    await p.node({
      nodeId: 'm3',
      only: ['bm.f'],
      storage: failing,
      retry: { maxAttempts: 1, baseDelayMs: 10, maxDelayMs: 10 },
    });
    const failed = await backUp('f', 1, 'backup.failed');
    const b = await backupStatus('f', (x) => x.lastFailure !== null, 'the failure reported');
    expect(b.lastFailure).toMatchObject({ code: failed.code });
    expect(b.lastBackup).toBeNull();
    expect(b.ageMs).toBeNull();
    const labels = { org: 'bm', ws: 'f' };
    expect(await metric('moe_backup_last_failure_timestamp_seconds', labels)).toBe(b.lastFailure!.at / 1000);
    expect(await metric('moe_backup_age_seconds', labels)).toBeUndefined();
  });
});
