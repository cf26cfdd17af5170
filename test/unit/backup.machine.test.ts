/**
 * The backup actor's machine (actors/backup.machine.ts), driven as the kernel drives it: a request
 * runs `backup.run` then `backup.verify`, journals `backup.completed`, then purges the journal the
 * backup covers (`journal.purge` → `journal.purged`); unchanged activity skips;
 * requests during a run are coalesced into one more run; failures retry up to MAX_ATTEMPTS; the
 * schedule is a durable timer re-armed on every tick.
 */
import { describe, expect, it } from 'vitest';
import { backupMachine, DEFAULT_BACKUP_INTERVAL_MS, type KernelEvent } from '../../actors/index.js';
import { MachineHost, stateString } from '../../actors/kernel/index.js';

const ev = (type: string, data: Record<string, unknown>, turn: number, at = 1_000): KernelEvent => ({
  type,
  data,
  id: `c${turn}`,
  at,
  turn,
  session: 's',
});
const host = new MachineHost(backupMachine);
const made = (activitySeq: number, backupId = 'b1') => ({
  skipped: false,
  activitySeq,
  backupId,
  journalSeq: activitySeq + 1,
  objects: 5,
  bytes: 500,
  uploaded: 3,
});
const result = (effectId: string, value: unknown, turn: number) =>
  ev('effect.result', { effectId, value }, turn);

describe('backup machine', () => {
  it('runs, verifies and completes a requested backup, arming the schedule', () => {
    const s1 = host.apply(host.initial(), ev('backup.request', { reason: 'manual' }, 1));
    expect(stateString(s1.next)).toBe('running');
    expect(s1.emits).toEqual([{ type: 'backup.started', reason: 'manual', attempt: 1 }]);
    expect(s1.effects).toEqual([
      { id: '1.0', kind: 'backup.run', skipIfSeq: null },
      { id: '1.1', kind: 'timer', fireAt: 1_000 + DEFAULT_BACKUP_INTERVAL_MS },
    ]);
    const s2 = host.apply(s1.next, result('1.0', made(7), 2));
    expect(stateString(s2.next)).toBe('verifying');
    expect(s2.effects).toEqual([{ id: '2.0', kind: 'backup.verify', backupId: 'b1' }]);
    const s3 = host.apply(s2.next, result('2.0', { ok: true }, 3));
    expect(stateString(s3.next)).toBe('purging');
    expect(s3.effects).toEqual([{ id: '3.0', kind: 'journal.purge', backupId: 'b1' }]);
    expect(s3.emits).toEqual([]);
    // the purge's result ends the run: backup.completed and journal.purged in one turn
    const s3b = host.apply(s3.next, result('3.0', { subjects: 2, entries: 40, keep: 10 }, 4));
    expect(stateString(s3b.next)).toBe('idle');
    expect(s3b.emits).toEqual([
      {
        type: 'backup.completed',
        reason: 'manual',
        backupId: 'b1',
        journalSeq: 8,
        objects: 5,
        bytes: 500,
        uploaded: 3,
        attempts: 1,
      },
      { type: 'journal.purged', backupId: 'b1', subjects: 2, entries: 40, keep: 10 },
    ]);
    expect(s3b.effects).toEqual([]);
    // the schedule tick: a run that skips when the activity sequence is unchanged, re-armed timer
    const tick = host.apply(s3b.next, ev('timer.fired', { effectId: '1.1' }, 4, 5_000));
    expect(tick.effects).toEqual([
      { id: '4.0', kind: 'backup.run', skipIfSeq: 7 },
      { id: '4.1', kind: 'timer', fireAt: 5_000 + DEFAULT_BACKUP_INTERVAL_MS },
    ]);
    const skipped = host.apply(tick.next, result('4.0', { skipped: true, activitySeq: 7 }, 5));
    expect(stateString(skipped.next)).toBe('idle');
    expect(skipped.emits).toEqual([
      { type: 'backup.skipped', reason: 'schedule', journalSeq: 7, backupId: 'b1' },
    ]);
    expect(skipped.effects).toEqual([]);
    // a stale timer is not a tick
    expect(host.apply(skipped.next, ev('timer.fired', { effectId: '1.1' }, 6)).accepted).toBe(false);
  });

  it('coalesces requests during a run into one more run afterwards', () => {
    const s1 = host.apply(host.initial(), ev('backup.request', { reason: 'manual' }, 1));
    const s2 = host.apply(s1.next, ev('backup.request', { reason: 'session-end' }, 2));
    expect(s2.accepted).toBe(true);
    expect(s2.effects).toEqual([]); // never two runs at once
    const s3 = host.apply(s2.next, ev('backup.request', { reason: 'manual' }, 3));
    expect(s3.effects).toEqual([]);
    const s4 = host.apply(s3.next, result('1.0', made(7), 4));
    const s4b = host.apply(s4.next, result('4.0', { ok: true }, 5));
    expect(s4b.emits).toEqual([]);
    expect(stateString(s4b.next)).toBe('purging');
    // a request while purging waits too
    const s4c = host.apply(s4b.next, ev('backup.request', { reason: 'manual' }, 6));
    expect(s4c.effects).toEqual([]);
    // a purge that gave up is journaled; the coalesced run starts after it
    const error = { code: 'MOE_ERR_EFFECT_RETRIES_EXHAUSTED', message: 'nats down', attempts: 5 };
    const s5 = host.apply(s4c.next, ev('effect.failed', { effectId: '5.0', error }, 7));
    expect(s5.emits.map((e) => e.type)).toEqual([
      'backup.completed',
      'journal.purge.failed',
      'backup.started',
    ]);
    expect(s5.emits[1]).toEqual({
      type: 'journal.purge.failed',
      backupId: 'b1',
      code: error.code,
      message: 'nats down',
    });
    expect(s5.emits[2]).toEqual({ type: 'backup.started', reason: 'session-end', attempt: 1 });
    expect(s5.effects).toEqual([{ id: '7.0', kind: 'backup.run', skipIfSeq: 7 }]);
    expect(stateString(s5.next)).toBe('running');
    const s6 = host.apply(s5.next, result('7.0', { skipped: true, activitySeq: 7 }, 8));
    expect(s6.emits).toEqual([
      { type: 'backup.skipped', reason: 'session-end', journalSeq: 7, backupId: 'b1' },
    ]);
    expect(stateString(s6.next)).toBe('idle');
  });

  it('retries a failing run up to 3 attempts, then journals backup.failed', () => {
    const error = { code: 'MOE_ERR_STORAGE_UNAVAILABLE', message: 'down', attempts: 5 };
    let s = host.apply(host.initial(), ev('backup.request', { reason: 'manual', force: true }, 1)).next;
    const a2 = host.apply(s, ev('effect.failed', { effectId: '1.0', error }, 2));
    expect(a2.emits).toEqual([{ type: 'backup.started', reason: 'manual', attempt: 2 }]);
    expect(a2.effects).toEqual([{ id: '2.0', kind: 'backup.run', skipIfSeq: null }]);
    // a verification that finds a problem also retries the whole run
    s = host.apply(a2.next, result('2.0', made(3, 'b2'), 3)).next;
    const a3 = host.apply(s, result('3.0', { ok: false, code: 'MOE_ERR_BACKUP_INTEGRITY', message: 'x' }, 4));
    expect(stateString(a3.next)).toBe('running');
    expect(a3.effects).toEqual([{ id: '4.0', kind: 'backup.run', skipIfSeq: null }]);
    const last = host.apply(a3.next, ev('effect.failed', { effectId: '4.0', error }, 5));
    expect(stateString(last.next)).toBe('idle');
    expect(last.emits).toEqual([
      {
        type: 'backup.failed',
        reason: 'manual',
        code: 'MOE_ERR_STORAGE_UNAVAILABLE',
        message: 'down',
        attempts: 3,
      },
    ]);
    // a result of an old effect is not the current one
    expect(host.apply(last.next, result('2.0', made(3), 6)).accepted).toBe(false);
  });

  it('changes or stops the schedule with backup.schedule', () => {
    const s1 = host.apply(host.initial(), ev('backup.request', { reason: 'manual' }, 1));
    const s2 = host.apply(s1.next, ev('backup.schedule', { intervalMs: 60_000 }, 2, 2_000));
    expect(s2.cancels).toEqual(['1.1']);
    expect(s2.effects).toEqual([{ id: '2.0', kind: 'timer', fireAt: 62_000 }]);
    const s3 = host.apply(s2.next, ev('backup.schedule', { enabled: false }, 3));
    expect(s3.cancels).toEqual(['2.0']);
    expect(s3.effects).toEqual([]);
    // survives a passivation (persist/restore) unchanged
    const restored = host.restore(host.persist(s3.next));
    expect(restored.context).toEqual(s3.next.context);
  });
});
