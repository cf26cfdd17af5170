/**
 * Durable timers: a session's lease timer lives in sessions.db and fires as a journaled
 * `timer.fired` command — also after the node that scheduled it has stopped and another took over.
 * Renewing cancels the old timer (a stale firing is ignored by the machine's guard).
 *
 * Time is simulated (test/fakes/simulatedClock.ts): a timer fires only when the test advances the
 * clock, so a slow or loaded machine changes how long a test takes, never what it sees.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startPlatform, type Platform } from '../harness/index.js';
import { simulatedClock } from '../fakes/simulatedClock.js';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => p?.close());

/** The states of an actor's journaled turns. */
async function statesOf(subject: string): Promise<string[]> {
  return (await p.records(subject)).map((r) => r.record.state);
}

describe('durable timers', () => {
  it('expires a session when its lease runs out, and renew brings it back', async () => {
    const clock = simulatedClock();
    const n = await p.node({ nodeId: 't1', only: ['tm.a'], clock });
    const s = { org: 'tm', ws: 'a', kind: 'session', id: 's1' };
    await p.client.request(s, { id: 'open', type: 'session.open', data: { leaseMs: 300 } });
    const expired = await eventually(
      async () => {
        clock.advance(500);
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
    const clock = simulatedClock();
    const first = await p.node({ nodeId: 't2', only: ['tm.b'], clock });
    const s = { org: 'tm', ws: 'b', kind: 'session', id: 's2' };
    await p.client.request(s, { id: 'open', type: 'session.open', data: { leaseMs: 1500 } });
    await first.stop(); // the timer is pending in sessions.db, not in memory
    expect(clock.pending).toBe(0);
    const second = await p.node({ nodeId: 't3', only: ['tm.b'], clock });
    await second.waitForWorkspace('tm', 'b');
    const expired = await eventually(
      async () => {
        clock.advance(500);
        const r = await p.records('moe.evt.tm.b.session.s2');
        return r.find((x) => x.record.state === 'expired');
      },
      { timeoutMs: 20_000, what: 'expiry fired by the second node' },
    );
    expect(expired.record.cmd.type).toBe('timer.fired');
    const opened = (await p.records('moe.evt.tm.b.session.s2'))[0]!;
    // The second node's timer fired no earlier than the lease end the first node journaled.
    const lease = clock.fired.find((f) => f.due === opened.record.cmd.at + 1500);
    expect(lease).toBeDefined();
    expect(lease!.firedAt).toBeGreaterThanOrEqual(opened.record.cmd.at + 1500);
    const host = second.hosts.get('tm.b')!;
    expect(host.kernel.stats.turns).toBeGreaterThanOrEqual(1);
    await second.stop();
  });

  it('a renewed lease is not ended by the timer of the lease it replaced', async () => {
    const clock = simulatedClock();
    const n = await p.node({ nodeId: 't4', only: ['tm.c'], clock });
    const s = { org: 'tm', ws: 'c', kind: 'session', id: 's3' };
    const subject = 'moe.evt.tm.c.session.s3';
    const opened = await p.client.request(s, { id: 'open', type: 'session.open', data: { leaseMs: 400 } });
    const renewed = await p.client.request(s, {
      id: 'renew',
      type: 'session.renew',
      data: { leaseMs: 60_000 },
    });
    // Once the renewal's effects are applied, only the renewed lease's timer is pending.
    const renewedEnd = renewed.record.cmd.at + 60_000;
    await eventually(() => (clock.pendingDue.join() === `${renewedEnd}` ? true : undefined), {
      what: 'only the renewed lease timer pending',
    });
    clock.advance(opened.record.cmd.at + 1_000 - clock.now()); // past the replaced lease's end: nothing may fire
    expect(clock.fired).toEqual([]);
    const records = await p.records(subject);
    expect(records.map((r) => r.record.state)).toEqual(['active', 'active']);
    expect(records[1]!.record.cancels).toEqual(['1.0']);
    // Past the renewed lease's end: its own timer expires the session (the clock drives timers).
    const expired = await eventually(
      async () => {
        clock.advance(60_000);
        const states = await statesOf(subject);
        return states.length >= 3 ? states : undefined;
      },
      { what: 'the renewed lease expired' },
    );
    expect(expired.slice(0, 3)).toEqual(['active', 'active', 'expired']);
    // Expiry asks the workspace's backup actor for a session-end backup (an actor.send effect):
    // its result may already be a turn here; the session stays expired.
    expect(expired.slice(3).every((state) => state === 'expired')).toBe(true);
    expect((await p.records(subject))[2]!.record.cmd.data).toEqual({ effectId: '2.0' });
    await n.stop();
  });
});
