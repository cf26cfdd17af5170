/**
 * Supervisor leadership and its clock: of two supervisors only one leads (compare-and-set on
 * `_supervisor.leader` in `moe_nodes`); stopping it hands leadership to the other. Node liveness
 * is judged by heartbeat age on the supervisor's (injected) clock, and only the leader releases
 * the lease of a node that went stale.
 */
import { Kvm, type KV } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KV_BUCKETS } from '../../schemas/index.js';
import { LEADER_KEY, startSupervisor, type Supervisor } from '../../supervisor/index.js';
import { eventually, silent, startPlatform, type Platform } from '../harness/index.js';

let p: Platform;
let nodesKv: KV;
let placementKv: KV;
const started: Supervisor[] = [];
beforeAll(async () => {
  p = await startPlatform();
  const kvm = new Kvm(p.nc);
  nodesKv = await kvm.open(KV_BUCKETS.nodes);
  placementKv = await kvm.open(KV_BUCKETS.placement);
});
afterAll(async () => {
  for (const s of started) await s.stop();
  await p?.close();
});

const health = async (s: Supervisor) =>
  (await (await fetch(`${s.url}/healthz`)).json()) as { ok: boolean; leader: boolean; id: string };

describe('supervisor leadership', () => {
  it('lets exactly one of two supervisors lead and hands over when the leader stops', async () => {
    const opts = { nc: p.nc, port: 0, logger: silent, leaderLeaseMs: 1500, intervalMs: 200 };
    const a = await startSupervisor({ ...opts, id: 'sup-a' });
    const b = await startSupervisor({ ...opts, id: 'sup-b' });
    started.push(a, b);
    expect(a.isLeader).toBe(true);
    // Several renewals later, still one leader.
    await new Promise((r) => setTimeout(r, 1200));
    expect([a.isLeader, b.isLeader]).toEqual([true, false]);
    expect(await health(a)).toMatchObject({ ok: true, leader: true, id: 'sup-a' });
    expect(await health(b)).toMatchObject({ ok: true, leader: false, id: 'sup-b' });
    expect((await nodesKv.get(LEADER_KEY))?.json<{ id: string }>().id).toBe('sup-a');

    await a.stop();
    await eventually(() => (b.isLeader ? true : undefined), { timeoutMs: 5000, what: 'sup-b leads' });
    expect((await nodesKv.get(LEADER_KEY))?.json<{ id: string }>().id).toBe('sup-b');
    expect((await b.status()).supervisor).toMatchObject({ leader: true, leaderId: 'sup-b' });
    await b.stop();
  });

  it('judges heartbeats on its clock and, as leader only, expires the lease of a node gone stale', async () => {
    let now = Date.UTC(2030, 0, 1);
    const clock = { now: () => now };
    await nodesKv.put('ghost', JSON.stringify({ node: 'ghost', at: now, workspaces: ['clk.w'] }));
    await placementKv.put('clk.w', JSON.stringify({ node: 'ghost', epoch: 3, until: now + 600_000 }));
    const opts = { nc: p.nc, port: null, logger: silent, clock, staleMs: 3000, intervalMs: 100 };
    const leader = await startSupervisor({ ...opts, id: 'clk-lead', leaderLeaseMs: 3_600_000 });
    const follower = await startSupervisor({ ...opts, id: 'clk-follow', leaderLeaseMs: 3_600_000 });
    started.push(leader, follower);
    expect(leader.isLeader && !follower.isLeader).toBe(true);

    now += 2000; // heartbeat 2 s old: alive
    await leader.tick();
    expect((await leader.status()).nodes.find((n) => n.id === 'ghost')).toMatchObject({
      live: true,
      ageMs: 2000,
    });
    expect(leader.leasesReleased).toBe(0);

    now += 2000; // 4 s old: dead
    await eventually(() => (leader.leasesReleased === 1 ? true : undefined), { what: 'lease released' });
    expect((await placementKv.get('clk.w'))?.json()).toEqual({ node: 'ghost', epoch: 3, until: 0 });
    expect(follower.leasesReleased).toBe(0);
    const s = await follower.status();
    expect(s.nodes.find((n) => n.id === 'ghost')).toMatchObject({ live: false });
    expect(s.supervisor).toMatchObject({ leader: false, leaderId: 'clk-lead' });
    // An expired lease is left alone: nothing more to release.
    await leader.tick();
    expect(leader.leasesReleased).toBe(1);
  });
});
