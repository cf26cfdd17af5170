/**
 * Durable timers: a session's lease timer lives in sessions.db and fires as a journaled
 * `timer.fired` command — also after the node that scheduled it has stopped and another took over.
 * Renewing cancels the old timer (a stale firing is ignored by the machine's guard).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startPlatform, type Platform } from '../harness/index.js';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => p?.close());

describe('durable timers', () => {
  it('expires a session when its lease runs out, and renew brings it back', async () => {
    const n = await p.node({ nodeId: 't1', only: ['tm.a'] });
    const s = { org: 'tm', ws: 'a', kind: 'session', id: 's1' };
    await p.client.request(s, { id: 'open', type: 'session.open', data: { leaseMs: 300 } });
    const expired = await eventually(
      async () => {
        const r = await p.records('moe.evt.tm.a.session.s1');
        return r.find((x) => x.record.state === 'expired');
      },
      { what: 'session expired' },
    );
    expect(expired.record.cmd.type).toBe('timer.fired');
    expect(expired.record.events[0]?.type).toBe('session.expired');
    const renewed = await p.client.request(s, {
      id: 'renew',
      type: 'session.renew',
      data: { leaseMs: 60_000 },
    });
    expect(renewed.record.state).toBe('active');
    await n.stop();
  });

  it('fires a timer scheduled by a node that stopped, from the node that takes over', async () => {
    const first = await p.node({ nodeId: 't2', only: ['tm.b'] });
    const s = { org: 'tm', ws: 'b', kind: 'session', id: 's2' };
    await p.client.request(s, { id: 'open', type: 'session.open', data: { leaseMs: 1500 } });
    await first.stop(); // the timer is pending in sessions.db, not in memory
    const second = await p.node({ nodeId: 't3', only: ['tm.b'] });
    await second.waitForWorkspace('tm', 'b');
    const expired = await eventually(
      async () => {
        const r = await p.records('moe.evt.tm.b.session.s2');
        return r.find((x) => x.record.state === 'expired');
      },
      { timeoutMs: 20_000, what: 'expiry fired by the second node' },
    );
    const opened = (await p.records('moe.evt.tm.b.session.s2'))[0]!;
    expect(expired.record.cmd.at).toBeGreaterThanOrEqual(opened.record.cmd.at + 1500);
    const host = second.hosts.get('tm.b')!;
    expect(host.kernel.stats.turns).toBeGreaterThanOrEqual(1);
    await second.stop();
  });

  it('a renewed lease is not ended by the timer of the lease it replaced', async () => {
    const n = await p.node({ nodeId: 't4', only: ['tm.c'] });
    const s = { org: 'tm', ws: 'c', kind: 'session', id: 's3' };
    await p.client.request(s, { id: 'open', type: 'session.open', data: { leaseMs: 400 } });
    await p.client.request(s, { id: 'renew', type: 'session.renew', data: { leaseMs: 60_000 } });
    await new Promise((r) => setTimeout(r, 900));
    const records = await p.records('moe.evt.tm.c.session.s3');
    expect(records.map((r) => r.record.state)).toEqual(['active', 'active']);
    expect(records[1]!.record.cancels).toEqual(['1.0']);
    await n.stop();
  });
});
