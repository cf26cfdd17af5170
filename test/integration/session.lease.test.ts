/**
 * The session lease over NATS (issue 8 item 9): a task sent through a session (`session.submit`,
 * what MoeClient.runTask does with `session`) runs while the lease holds, is refused with
 * `task.refused` MOE_ERR_SESSION_EXPIRED once it has ended — by the timer, or found at the command's
 * `at` before the timer fired — runs again after a renew, and never after a close.
 *
 * Time: the nodes get a simulated clock, so a lease timer fires only when the test advances it;
 * the at-based check reads MOE_CMD's store time, so that case waits until the wall clock is past a
 * 1 ms lease (a few ms, polled, never a fixed sleep).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startPlatform, type Platform } from '../harness/index.js';
import { simulatedClock } from '../fakes/simulatedClock.js';
import { findEvent, type ActorAddress } from '../../schemas/index.js';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => p?.close());

const session = (ws: string, id: string): ActorAddress => ({ org: 'ls', ws, kind: 'session', id });
const script = [{ text: 'done' }];

/** Opens a session with `leaseMs`; resolves with its lease end (epoch ms). */
async function open(s: ActorAddress, leaseMs: number): Promise<number> {
  const r = await p.client.request(s, { id: `open-${s.id}`, type: 'session.open', data: { leaseMs } });
  return findEvent(r.record.events, 'session.opened')!.expiresAt;
}

/** Resolves once the wall clock (the clock MOE_CMD stamps `at` with) is past `t`. */
async function pastWallClock(t: number) {
  await eventually(async () => (Date.now() > t + 1 ? true : undefined), { what: `wall clock past ${t}` });
}

describe('the session lease over NATS', () => {
  it('refuses a task once the lease has ended though the timer has not fired, and runs it after renew', async () => {
    const clock = simulatedClock(); // never advanced: the lease timer does not fire in this test
    const n = await p.node({ nodeId: 'l1', only: ['ls.a'], clock });
    const s = session('a', 's1');
    expect(
      (await p.client.runTask('ls', 'a', 'early', { prompt: 'x', script }, { session: 's1' })).outcome.type,
    ).toBe('command.rejected'); // never opened
    await pastWallClock(await open(s, 1));

    const refused = await p.client.runTask('ls', 'a', 'late', { prompt: 'x', script }, { session: 's1' });
    expect(refused.outcome).toMatchObject({
      type: 'task.refused',
      task: 'late',
      code: 'MOE_ERR_SESSION_EXPIRED',
    });
    expect(refused.records.map((r) => r.record.state)).toEqual(['expired']);
    expect(refused.records[0]!.record.events.map((e) => (e as { type: string }).type)).toEqual([
      'session.expired',
      'task.refused',
    ]);
    expect(await p.records('moe.evt.ls.a.agent.late')).toEqual([]); // no agent ran

    await p.client.request(s, { id: 'renew', type: 'session.renew', data: { leaseMs: 3600_000 } });
    const ran = await p.client.runTask('ls', 'a', 'again', { prompt: 'x', script }, { session: 's1' });
    expect(ran.outcome.type).toBe('task.completed');
    // the agent's timeline starts with the task.submit its session forwarded, in that session's log
    expect(ran.records[0]!.record.cmd.type).toBe('task.submit');
    expect(ran.records[0]!.record.session).toBe('s1');

    await p.client.request(s, { id: 'close', type: 'session.close', data: {} });
    const closed = await p.client.runTask('ls', 'a', 'closed', { prompt: 'x', script }, { session: 's1' });
    expect(closed.outcome).toMatchObject({ type: 'command.rejected', state: 'closed' });
    const renewClosed = await p.client.request(s, { id: 'renew2', type: 'session.renew', data: {} });
    expect(renewClosed.record.state).toBe('closed');
    await n.stop();
  });

  it('expires by its durable timer (session.expired) and then refuses tasks', async () => {
    const clock = simulatedClock();
    const n = await p.node({ nodeId: 'l2', only: ['ls.b'], clock });
    const s = session('b', 's2');
    await open(s, 3600_000); // far beyond the wall clock of this test: only the timer can end it
    const inLease = await p.client.runTask('ls', 'b', 'first', { prompt: 'x', script }, { session: 's2' });
    expect(inLease.outcome.type).toBe('task.completed');
    const expired = await eventually(
      async () => {
        clock.advance(600_000);
        return (await p.records('moe.evt.ls.b.session.s2')).find((r) => r.record.cmd.type === 'timer.fired');
      },
      { what: 'lease timer fired' },
    );
    expect(expired.record.state).toBe('expired');
    expect(expired.record.events).toEqual([{ type: 'session.expired', expiredAt: expect.any(Number) }]);
    const refused = await p.client.runTask('ls', 'b', 'second', { prompt: 'x', script }, { session: 's2' });
    expect(refused.outcome).toMatchObject({ type: 'task.refused', code: 'MOE_ERR_SESSION_EXPIRED' });
    await n.stop();
  });
});
