/**
 * The pure machines, driven the way the kernel drives them (MachineHost): effects, emitted events
 * and cancellations come out as data; time only comes from events; a persisted snapshot restores
 * to the same behaviour.
 */
import { describe, expect, it } from 'vitest';
import { agentMachine, orgMachine, sessionMachine, type KernelEvent } from '../../actors/index.js';
import { MachineHost, stateString, statusOf } from '../../actors/kernel/index.js';

const ev = (type: string, data: Record<string, unknown>, turn: number, at = 1_000): KernelEvent => ({
  type,
  data,
  id: `c${turn}`,
  at,
  turn,
  session: 's',
});

describe('session machine', () => {
  const host = new MachineHost(sessionMachine);

  it('opens with an 8-hour lease timer by default and expires when that timer fires', () => {
    const opened = host.apply(host.initial(), ev('session.open', {}, 1));
    expect(stateString(opened.next)).toBe('active');
    expect(opened.effects).toEqual([{ id: '1.0', kind: 'timer', fireAt: 1_000 + 8 * 3600_000 }]);
    const expired = host.apply(opened.next, ev('timer.fired', { effectId: '1.0' }, 2));
    expect(stateString(expired.next)).toBe('expired');
    expect(expired.emits).toEqual([{ type: 'session.expired', expiredAt: 1_000 + 8 * 3600_000 }]);
    expect(expired.effects.map((e) => [e.kind, (e as { type?: string }).type])).toEqual([
      ['actor.send', 'backup.request'],
    ]);
  });

  it('ignores a timer that is not its current lease timer', () => {
    const opened = host.apply(host.initial(), ev('session.open', { leaseMs: 10 }, 1));
    const stale = host.apply(opened.next, ev('timer.fired', { effectId: '0.9' }, 2));
    expect(stale.accepted).toBe(false);
    expect(stateString(stale.next)).toBe('active');
  });

  it('is final once closed', () => {
    const opened = host.apply(host.initial(), ev('session.open', {}, 1));
    const closed = host.apply(opened.next, ev('session.close', { reason: 'done' }, 2));
    expect(statusOf(closed.next)).toBe('done');
    expect(closed.cancels).toEqual(['1.0']);
    // the session's end asks the workspace's backup actor for a backup
    expect(closed.effects).toEqual([
      {
        id: '2.0',
        kind: 'actor.send',
        to: { kind: 'backup', id: 'workspace' },
        type: 'backup.request',
        data: { reason: 'session-end' },
      },
    ]);
    expect(host.apply(closed.next, ev('session.renew', {}, 3)).accepted).toBe(false);
  });

  it('forwards a task inside the lease to its agent as task.submit', () => {
    const opened = host.apply(host.initial(), ev('session.open', { leaseMs: 100 }, 1, 1_000));
    const sent = host.apply(
      opened.next,
      ev('session.submit', { task: 't1', submit: { prompt: 'hi' } }, 2, 1_100),
    );
    expect(sent.accepted).toBe(true);
    expect(stateString(sent.next)).toBe('active');
    expect(sent.emits).toEqual([{ type: 'task.admitted', task: 't1' }]);
    expect(sent.effects).toEqual([
      {
        id: '2.0',
        kind: 'actor.send',
        to: { kind: 'agent', id: 't1' },
        type: 'task.submit',
        data: { prompt: 'hi' },
      },
    ]);
  });

  it('refuses a task whose at is after the lease end even before the timer fired, and expires', () => {
    const opened = host.apply(host.initial(), ev('session.open', { leaseMs: 100 }, 1, 1_000));
    const late = host.apply(
      opened.next,
      ev('session.submit', { task: 't1', submit: { prompt: 'hi' } }, 2, 1_101),
    );
    expect(stateString(late.next)).toBe('expired');
    // no task.submit: only the session-end backup request
    expect(late.effects.map((e) => (e as { type?: string }).type)).toEqual(['backup.request']);
    expect(late.cancels).toEqual(['1.0']);
    expect(late.emits).toEqual([
      { type: 'session.expired', expiredAt: 1_100 },
      { type: 'task.refused', task: 't1', code: 'MOE_ERR_SESSION_EXPIRED', reason: expect.any(String) },
    ]);
    const again = host.apply(
      late.next,
      ev('session.submit', { task: 't2', submit: { prompt: 'hi' } }, 3, 1_200),
    );
    expect(again.accepted).toBe(true);
    expect(again.emits).toMatchObject([
      { type: 'task.refused', task: 't2', code: 'MOE_ERR_SESSION_EXPIRED' },
    ]);
    expect(again.effects).toEqual([]);
  });

  it('admits tasks again once renewed, and never after close', () => {
    const opened = host.apply(host.initial(), ev('session.open', { leaseMs: 100 }, 1, 1_000));
    const expired = host.apply(opened.next, ev('timer.fired', { effectId: '1.0' }, 2, 1_100));
    const renewed = host.apply(expired.next, ev('session.renew', { leaseMs: 100 }, 3, 5_000));
    const sent = host.apply(
      renewed.next,
      ev('session.submit', { task: 't1', submit: { prompt: 'a' } }, 4, 5_050),
    );
    expect(sent.emits).toEqual([{ type: 'task.admitted', task: 't1' }]);
    const closed = host.apply(sent.next, ev('session.close', {}, 5, 5_060));
    expect(host.apply(closed.next, ev('session.renew', {}, 6, 5_070)).accepted).toBe(false);
    const refused = host.apply(
      closed.next,
      ev('session.submit', { task: 't2', submit: { prompt: 'a' } }, 6, 5_070),
    );
    expect(refused.accepted).toBe(false);
    expect(refused.effects).toEqual([]);
  });

  it('behaves the same after a persist/restore round trip', () => {
    const opened = host.apply(host.initial(), ev('session.open', { leaseMs: 50 }, 1));
    const restored = host.restore(JSON.parse(JSON.stringify(host.persist(opened.next))));
    const a = host.apply(opened.next, ev('session.renew', { leaseMs: 99 }, 2, 2_000));
    const b = host.apply(restored, ev('session.renew', { leaseMs: 99 }, 2, 2_000));
    expect(host.persist(b.next)).toEqual(host.persist(a.next));
    expect(b.effects).toEqual(a.effects);
  });
});

describe('org machine', () => {
  const host = new MachineHost(orgMachine);
  it('owns workspaces once created and adds each only once', () => {
    const created = host.apply(host.initial(), ev('org.create', { name: 'Acme' }, 1));
    const added = host.apply(created.next, ev('workspace.add', { workspace: 'w1' }, 2));
    expect(added.emits).toEqual([{ type: 'workspace.added', workspace: 'w1' }]);
    expect(host.apply(added.next, ev('workspace.add', { workspace: 'w1' }, 3)).accepted).toBe(false);
  });
});

describe('agent machine', () => {
  const host = new MachineHost(agentMachine);
  it('asks for an LLM call on submit, with a deterministic effect id', () => {
    const out = host.apply(host.initial(), ev('task.submit', { prompt: 'hi' }, 1));
    expect(stateString(out.next)).toBe('thinking');
    expect(out.effects).toMatchObject([{ id: '1.0', kind: 'llm.call' }]);
    expect(out.emits[0]).toMatchObject({ type: 'task.accepted' });
  });

  it('ignores a result for an effect it is not waiting on', () => {
    const submitted = host.apply(host.initial(), ev('task.submit', { prompt: 'hi' }, 1));
    const stray = host.apply(submitted.next, ev('effect.result', { effectId: '9.9', value: {} }, 2));
    expect(stray.accepted).toBe(false);
  });
});
