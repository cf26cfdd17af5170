/**
 * The backup actor's machine (actors/backup.machine.ts), driven as the kernel drives it: a request
 * runs `backup.run` then `backup.verify`, journals `backup.completed`, then purges the journal the
 * backup covers (`journal.purge` → `journal.purged`); unchanged activity skips;
 * requests during a run are coalesced into one more run; failures retry up to MAX_ATTEMPTS; the
 * schedule is a durable timer re-armed on every tick; the verification schedule (a second durable
 * timer, armed by the first good backup) verifies the latest backup again and journals
 * `backup.verified`.
 */
import { describe, expect, it } from 'vitest';
import {
  backupMachine,
  DEFAULT_BACKUP_INTERVAL_MS,
  DEFAULT_VERIFY_INTERVAL_MS,
  type BackupContext,
  type KernelEvent,
} from '../../actors/index.js';
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
const made = (activitySeq: number, backupId = 'b1', createdAt?: number) => ({
  skipped: false,
  activitySeq,
  backupId,
  journalSeq: activitySeq + 1,
  objects: 5,
  bytes: 500,
  uploaded: 3,
  ...(createdAt !== undefined ? { createdAt } : {}),
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
    // the first good backup arms the verification schedule
    expect(s3b.effects).toEqual([{ id: '4.1', kind: 'timer', fireAt: 1_000 + DEFAULT_VERIFY_INTERVAL_MS }]);
    // the schedule tick: a run that skips when the activity sequence is unchanged, re-armed timer
    const tick = host.apply(s3b.next, ev('timer.fired', { effectId: '1.1' }, 5, 5_000));
    expect(tick.effects).toEqual([
      { id: '5.0', kind: 'backup.run', skipIfSeq: 7 },
      { id: '5.1', kind: 'timer', fireAt: 5_000 + DEFAULT_BACKUP_INTERVAL_MS },
    ]);
    const skipped = host.apply(tick.next, result('5.0', { skipped: true, activitySeq: 7 }, 6));
    expect(stateString(skipped.next)).toBe('idle');
    expect(skipped.emits).toEqual([
      { type: 'backup.skipped', reason: 'schedule', journalSeq: 7, backupId: 'b1' },
    ]);
    expect(skipped.effects).toEqual([]);
    // a stale timer is not a tick
    expect(host.apply(skipped.next, ev('timer.fired', { effectId: '1.1' }, 7)).accepted).toBe(false);
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
    // no run; only the verification schedule, armed now that a verified backup exists
    expect(s4c.effects).toEqual([{ id: '6.2', kind: 'timer', fireAt: 1_000 + DEFAULT_VERIFY_INTERVAL_MS }]);
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

  /** A workspace with one good backup (b1, made at 900), idle, its verification timer '3.1' armed. */
  const backedUp = () => {
    // request (turn 0), run (1), verify (2), journal purge (3): the run ends at turn 3
    const s0 = host.apply(host.initial(), ev('backup.request', { reason: 'manual' }, 0));
    const s1 = host.apply(s0.next, result('0.0', made(7, 'b1', 900), 1));
    const s2 = host.apply(s1.next, result('1.0', { ok: true, problems: 0 }, 2));
    return host.apply(s2.next, result('2.0', { subjects: 0, entries: 0, keep: 1000 }, 3));
  };

  it('verifies the latest backup on its own schedule and journals backup.verified', () => {
    const s3 = backedUp();
    // the first good backup arms the verification timer (index 1 of its turn)
    expect(s3.effects).toEqual([{ id: '3.1', kind: 'timer', fireAt: 1_000 + DEFAULT_VERIFY_INTERVAL_MS }]);
    const ctx = s3.next.context as BackupContext;
    expect(ctx.lastBackupAt).toBe(900);
    expect(ctx.lastVerify).toEqual({ at: 1_000, backupId: 'b1', ok: true, code: null, scheduled: false });

    const day = 1_000 + DEFAULT_VERIFY_INTERVAL_MS;
    const tick = host.apply(s3.next, ev('timer.fired', { effectId: '3.1' }, 4, day));
    expect(tick.accepted).toBe(true);
    expect(stateString(tick.next)).toBe('idle'); // not a backup run
    expect(tick.emits).toEqual([]);
    expect(tick.effects).toEqual([
      { id: '4.0', kind: 'backup.verify', backupId: 'b1' },
      { id: '4.1', kind: 'timer', fireAt: day + DEFAULT_VERIFY_INTERVAL_MS },
    ]);
    const ok = host.apply(
      tick.next,
      ev('effect.result', { effectId: '4.0', value: { ok: true, problems: 0 } }, 5, day + 50),
    );
    expect(ok.emits).toEqual([
      { type: 'backup.verified', backupId: 'b1', ok: true, problems: 0, at: day + 50 },
    ]);
    expect((ok.next.context as BackupContext).lastVerify).toEqual({
      at: day + 50,
      backupId: 'b1',
      ok: true,
      code: null,
      scheduled: true,
    });

    // the next day the backup no longer verifies: a result, not a failed backup
    const day2 = day + DEFAULT_VERIFY_INTERVAL_MS;
    const tick2 = host.apply(ok.next, ev('timer.fired', { effectId: '4.1' }, 6, day2));
    const bad = host.apply(
      tick2.next,
      ev(
        'effect.result',
        {
          effectId: '6.0',
          value: { ok: false, code: 'MOE_ERR_BACKUP_INTEGRITY', message: 'sha', problems: 2 },
        },
        7,
        day2,
      ),
    );
    expect(bad.emits).toEqual([
      {
        type: 'backup.verified',
        backupId: 'b1',
        ok: false,
        problems: 2,
        code: 'MOE_ERR_BACKUP_INTEGRITY',
        message: 'sha',
        at: day2,
      },
    ]);
    expect((bad.next.context as BackupContext).failed).toBe(0);
    // an effect that gave up (the store is down) is a failed verification too
    const tick3 = host.apply(
      bad.next,
      ev('timer.fired', { effectId: '6.1' }, 8, day2 + DEFAULT_VERIFY_INTERVAL_MS),
    );
    const error = { code: 'MOE_ERR_STORAGE_UNAVAILABLE', message: 'down' };
    const gaveUp = host.apply(tick3.next, ev('effect.failed', { effectId: '8.0', error }, 9));
    expect(gaveUp.emits).toEqual([
      { type: 'backup.verified', backupId: 'b1', ok: false, problems: 1, ...error, at: 1_000 },
    ]);
    // a stale verification timer or result is not accepted
    expect(host.apply(gaveUp.next, ev('timer.fired', { effectId: '6.1' }, 10)).accepted).toBe(false);
    expect(host.apply(gaveUp.next, result('8.0', { ok: true }, 10)).accepted).toBe(false);
  });

  it('runs a scheduled verification beside a backup run without mixing up their results', () => {
    const s3 = backedUp();
    const run = host.apply(s3.next, ev('backup.request', { reason: 'manual', force: true }, 4));
    expect(run.effects).toEqual([{ id: '4.0', kind: 'backup.run', skipIfSeq: null }]); // verify armed already
    const tick = host.apply(run.next, ev('timer.fired', { effectId: '3.1' }, 5, 2_000));
    expect(stateString(tick.next)).toBe('running');
    expect(tick.effects.map((e) => e.id)).toEqual(['5.0', '5.1']);
    // the run goes on to verify its own backup; the scheduled check's result comes in between
    const ran = host.apply(tick.next, result('4.0', made(9, 'b2'), 6));
    expect(stateString(ran.next)).toBe('verifying');
    const checked = host.apply(ran.next, result('5.0', { ok: true, problems: 0 }, 7));
    expect(stateString(checked.next)).toBe('verifying');
    expect(checked.emits).toEqual([
      { type: 'backup.verified', backupId: 'b1', ok: true, problems: 0, at: 1_000 },
    ]);
    const verified = host.apply(checked.next, result('6.0', { ok: true, problems: 0 }, 8));
    expect(stateString(verified.next)).toBe('purging');
    const done = host.apply(verified.next, result('8.0', { subjects: 1, entries: 3, keep: 1000 }, 9));
    expect(stateString(done.next)).toBe('idle');
    expect(done.emits.map((e) => e.type)).toEqual(['backup.completed', 'journal.purged']);
    expect((done.next.context as BackupContext).lastBackupId).toBe('b2');
  });

  it('changes or stops the verification schedule without touching the backup schedule', () => {
    // before any backup, a new interval arms nothing; the first good backup uses it
    const early = host.apply(host.initial(), ev('backup.schedule', { verifyIntervalMs: 120_000 }, 1));
    expect(early.effects).toEqual([]);
    expect(early.cancels).toEqual([]);
    const r = host.apply(early.next, ev('backup.request', { reason: 'manual' }, 2));
    const ran = host.apply(r.next, result('2.0', made(3), 3));
    const verified = host.apply(
      ran.next,
      ev('effect.result', { effectId: '3.0', value: { ok: true } }, 4, 5_000),
    );
    const done = host.apply(
      verified.next,
      ev('effect.result', { effectId: '4.0', value: { subjects: 0, entries: 0, keep: 1000 } }, 5, 5_000),
    );
    expect(done.effects).toEqual([{ id: '5.1', kind: 'timer', fireAt: 125_000 }]);

    const s3 = backedUp();
    const scheduleTimer = (s3.next.context as BackupContext).scheduleTimer;
    const changed = host.apply(s3.next, ev('backup.schedule', { verifyIntervalMs: 60_000 }, 4, 2_000));
    expect(changed.cancels).toEqual(['3.1']);
    expect(changed.effects).toEqual([{ id: '4.1', kind: 'timer', fireAt: 62_000 }]);
    expect((changed.next.context as BackupContext).scheduleTimer).toBe(scheduleTimer);
    const off = host.apply(changed.next, ev('backup.schedule', { verifyEnabled: false }, 5));
    expect(off.cancels).toEqual(['4.1']);
    expect(off.effects).toEqual([]);
    expect(host.apply(off.next, ev('timer.fired', { effectId: '4.1' }, 6)).accepted).toBe(false);
    // a later good backup does not arm it again while it is off
    const again = host.apply(off.next, ev('backup.request', { reason: 'manual', force: true }, 7));
    const ran2 = host.apply(again.next, result('7.0', made(9, 'b2'), 8));
    const verified2 = host.apply(ran2.next, result('8.0', { ok: true }, 9));
    expect(
      host.apply(verified2.next, result('9.0', { subjects: 0, entries: 0, keep: 1000 }, 10)).effects,
    ).toEqual([]);
  });

  it('records the last failure, and arms verification for a snapshot from before the schedule existed', () => {
    const error = { code: 'MOE_ERR_STORAGE_UNAVAILABLE', message: 'down' };
    let s = host.apply(host.initial(), ev('backup.request', { reason: 'manual' }, 1)).next;
    for (let turn = 2; turn <= 4; turn++)
      s = host.apply(s, ev('effect.failed', { effectId: `${turn - 1}.0`, error }, turn, turn * 1_000)).next;
    expect((s.context as BackupContext).lastFailure).toEqual({ at: 4_000, ...error });

    // an old snapshot: none of the verification fields
    const persisted = host.persist(backedUp().next) as { context: Record<string, unknown> };
    for (const k of [
      'verifyIntervalMs',
      'verifyEnabled',
      'verifyTimer',
      'verifyCheck',
      'lastBackupAt',
      'lastVerify',
      'lastFailure',
    ])
      delete persisted.context[k];
    const old = host.restore(persisted);
    const req = host.apply(old, ev('backup.request', { reason: 'manual' }, 4, 3_000));
    expect(req.effects).toContainEqual({
      id: '4.2',
      kind: 'timer',
      fireAt: 3_000 + DEFAULT_VERIFY_INTERVAL_MS,
    });
  });

  it('moves the recovery point on when a run is skipped because nothing changed', () => {
    const s3 = backedUp();
    expect((s3.next.context as BackupContext).lastCurrentAt).toBe(900); // the manifest's time
    const run = host.apply(s3.next, ev('backup.request', { reason: 'manual' }, 4, 7_000));
    const skipped = host.apply(
      run.next,
      ev('effect.result', { effectId: '4.0', value: { skipped: true, activitySeq: 7 } }, 5, 8_000),
    );
    const ctx = skipped.next.context as BackupContext;
    expect(ctx.lastBackupAt).toBe(900);
    expect(ctx.lastCurrentAt).toBe(8_000);
    // before any backup a skip says nothing about a backup
    const none = host.apply(host.initial(), ev('backup.request', { reason: 'manual' }, 1));
    const noneSkipped = host.apply(none.next, result('1.0', { skipped: true, activitySeq: 0 }, 2));
    expect((noneSkipped.next.context as BackupContext).lastCurrentAt).toBeNull();
  });
});
