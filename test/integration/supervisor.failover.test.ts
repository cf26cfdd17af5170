/**
 * Failover through the supervisor: a `moe node` child holding a workspace with a long (60 s) lease
 * is killed with SIGKILL; the supervisor sees its heartbeat go stale, releases the lease, and a
 * second node takes the workspace at once — a task submitted after the kill completes long before
 * the lease would have run out on its own.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startSupervisor, type Supervisor, type SupervisorStatus } from '../../supervisor/index.js';
import { type Platform, eventually, exited, silent, startPlatform, tempDir } from '../harness/index.js';

let p: Platform;
let sup: Supervisor;
beforeAll(async () => {
  p = await startPlatform();
  sup = await startSupervisor({ nc: p.nc, id: 'sup-1', port: 0, logger: silent, intervalMs: 250 });
});
afterAll(async () => {
  await sup?.stop();
  await p?.close();
});

const status = async (): Promise<SupervisorStatus> => {
  const res = await fetch(`${sup.url}/api/status`);
  expect(res.status).toBe(200);
  return (await res.json()) as SupervisorStatus;
};

describe('supervisor failover', () => {
  it('releases a SIGKILLed node’s long lease so a live node finishes a new task within seconds', async () => {
    const first = p.spawnNode('node-a', undefined, { MOE_LEASE_MS: '60000' });
    const before = await p.client.runTask(
      'sup',
      'fo',
      'before',
      { prompt: 'first task' },
      { timeoutMs: 20_000 },
    );
    expect(before.outcome.type).toBe('task.completed');
    const held = await status();
    expect(held.workspaces.find((w) => w.workspace === 'sup.fo')).toMatchObject({
      holder: 'node-a',
      holderLive: true,
    });
    expect(held.workspaces.find((w) => w.workspace === 'sup.fo')!.leaseRemainingMs).toBeGreaterThan(30_000);

    // Its own data dir, as on another machine: a data dir takes one node process at a time.
    const dirB = tempDir();
    onTestFinished(() => dirB.remove());
    const second = p.spawnNode('node-b', dirB.path);
    await eventually(
      async () => ((await status()).nodes.some((n) => n.id === 'node-b' && n.live) ? true : undefined),
      {
        what: 'node-b heartbeat',
      },
    );

    first.kill('SIGKILL');
    await exited(first);
    const killedAt = Date.now();
    const after = await p.client.runTask(
      'sup',
      'fo',
      'after',
      { prompt: 'second task' },
      { timeoutMs: 30_000 },
    );
    const elapsed = Date.now() - killedAt;
    expect(after.outcome.type).toBe('task.completed');
    expect(elapsed).toBeLessThan(15_000);

    const s = await status();
    expect(s.nodes.find((n) => n.id === 'node-a')).toMatchObject({ live: false });
    expect(s.workspaces.find((w) => w.workspace === 'sup.fo')).toMatchObject({ holder: 'node-b', epoch: 2 });
    expect(s.supervisor).toMatchObject({ id: 'sup-1', leader: true });
    expect(sup.leasesReleased).toBe(1);
    second.kill('SIGTERM');
    await exited(second);
  });
});
