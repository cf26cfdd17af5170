/**
 * `moe restore --at TIME` and `--backup ID` values (cli/commands/restore.ts): ISO 8601 dates and
 * times (UTC unless a zone is named, like the backups' own times), durations ago, and everything
 * else refused with MOE_ERR_USAGE.
 */
import { describe, expect, it } from 'vitest';
import { checkBackupId, parseAt } from '../../cli/commands/restore.js';

const now = new Date('2026-12-03T04:00:00.000Z');

describe('parseAt', () => {
  it('reads ISO 8601: a date is UTC midnight, a time without a zone is UTC, a zone is honoured', () => {
    expect(parseAt('2026-12-03', now).toISOString()).toBe('2026-12-03T00:00:00.000Z');
    expect(parseAt('2026-12-03T02:30', now).toISOString()).toBe('2026-12-03T02:30:00.000Z');
    expect(parseAt('2026-12-03 02:30:15.250', now).toISOString()).toBe('2026-12-03T02:30:15.250Z');
    expect(parseAt('2026-12-03T02:30:00Z', now).toISOString()).toBe('2026-12-03T02:30:00.000Z');
    expect(parseAt('2026-12-03T03:30:00+01:00', now).toISOString()).toBe('2026-12-03T02:30:00.000Z');
    expect(parseAt('2026-12-02T21:30:00-0500', now).toISOString()).toBe('2026-12-03T02:30:00.000Z');
  });

  it('reads a duration ago in s, m, h or d', () => {
    expect(parseAt('90s', now).toISOString()).toBe('2026-12-03T03:58:30.000Z');
    expect(parseAt('30m', now).toISOString()).toBe('2026-12-03T03:30:00.000Z');
    expect(parseAt('2h', now).toISOString()).toBe('2026-12-03T02:00:00.000Z');
    expect(parseAt('7d', now).toISOString()).toBe('2026-11-26T04:00:00.000Z');
    expect(parseAt('0s', now).getTime()).toBe(now.getTime());
  });

  it('refuses anything else with MOE_ERR_USAGE naming --at', () => {
    for (const bad of [
      'yesterday',
      '2h ago',
      '-2h',
      '2026-13-01',
      '2026-12-03T25:00',
      '12/03/2026',
      '',
      '1w',
    ])
      expect(() => parseAt(bad, now), bad).toThrow(expect.objectContaining({ code: 'MOE_ERR_USAGE' }));
    expect(() => parseAt('soon', now)).toThrow(/--at takes an ISO 8601 time/);
  });
});

describe('checkBackupId', () => {
  it('accepts the ids moe backup list prints and refuses paths', () => {
    expect(checkBackupId('20261203T030453326Z-bf6b75')).toBe('20261203T030453326Z-bf6b75');
    for (const bad of ['../x', 'a/b', '.hidden', ''])
      expect(() => checkBackupId(bad), bad).toThrow(expect.objectContaining({ code: 'MOE_ERR_USAGE' }));
  });
});
