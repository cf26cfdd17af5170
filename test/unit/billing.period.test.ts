/**
 * Billing periods (actors/billingPeriod.ts): calendar months and days bounded at local midnight,
 * in UTC or an org's IANA zone (Intl), across month ends, a leap day and DST changes.
 */
import { describe, expect, it } from 'vitest';
import { lastClosedPeriod, nextPeriod, periodOf, periodOfLabel } from '../../actors/index.js';

const utc = (y: number, m: number, d: number, h = 0, mi = 0) => Date.UTC(y, m - 1, d, h, mi);

describe('billing periods', () => {
  it('a UTC month runs from midnight of the 1st to midnight of the next 1st', () => {
    expect(periodOf(utc(2026, 11, 15, 12), 'month', 'UTC')).toEqual({
      label: '2026-11',
      start: utc(2026, 11, 1),
      end: utc(2026, 12, 1),
      timeZone: 'UTC',
    });
  });

  it('month ends: the last millisecond is in the month, the next one is not; December rolls the year', () => {
    expect(periodOf(utc(2026, 2, 1) - 1, 'month', 'UTC').label).toBe('2026-01');
    expect(periodOf(utc(2026, 2, 1), 'month', 'UTC').label).toBe('2026-02');
    const dec = periodOf(utc(2026, 12, 31, 23, 59), 'month', 'UTC');
    expect(dec).toMatchObject({ label: '2026-12', end: utc(2027, 1, 1) });
    expect(nextPeriod(dec, 'month').label).toBe('2027-01');
    // 30- and 31-day months
    expect(periodOf(utc(2026, 4, 30, 23), 'month', 'UTC').end).toBe(utc(2026, 5, 1));
    expect(periodOf(utc(2026, 1, 31, 23), 'month', 'UTC').end).toBe(utc(2026, 2, 1));
  });

  it('a leap year February has 29 days, and the leap day is a period of its own', () => {
    const feb = periodOf(utc(2024, 2, 29, 18), 'month', 'UTC');
    expect(feb).toMatchObject({ label: '2024-02', start: utc(2024, 2, 1), end: utc(2024, 3, 1) });
    expect((feb.end - feb.start) / 86_400_000).toBe(29);
    expect((periodOfLabel('2025-02', 'month', 'UTC')!.end - utc(2025, 2, 1)) / 86_400_000).toBe(28);
    expect(periodOf(utc(2024, 2, 29, 23, 59), 'day', 'UTC')).toMatchObject({
      label: '2024-02-29',
      start: utc(2024, 2, 29),
      end: utc(2024, 3, 1),
    });
    expect(periodOfLabel('2025-02-29', 'day', 'UTC')).toBeNull();
    expect(periodOfLabel('2024-02-29', 'day', 'UTC')?.start).toBe(utc(2024, 2, 29));
  });

  it("a time-zone org's month starts at its local midnight (Tokyo +9, New York -5/-4)", () => {
    const tokyo = periodOf(utc(2026, 11, 30, 16), 'month', 'Asia/Tokyo');
    // 16:00 UTC on Nov 30 is 01:00 on Dec 1 in Tokyo
    expect(tokyo).toMatchObject({
      label: '2026-12',
      start: utc(2026, 11, 30, 15),
      end: utc(2026, 12, 31, 15),
    });
    const ny = periodOf(utc(2026, 3, 15), 'month', 'America/New_York');
    // March starts in EST (-5) and ends in EDT (-4): a 31-day month one hour short
    expect(ny).toMatchObject({ label: '2026-03', start: utc(2026, 3, 1, 5), end: utc(2026, 4, 1, 4) });
    expect(ny.end - ny.start).toBe(31 * 86_400_000 - 3_600_000);
    // the DST day itself is 23 hours long
    const dstDay = periodOf(utc(2026, 3, 8, 12), 'day', 'America/New_York');
    expect(dstDay.end - dstDay.start).toBe(23 * 3_600_000);
    // a zone with a half-hour offset
    expect(periodOf(utc(2026, 6, 10), 'month', 'Asia/Kolkata').start).toBe(utc(2026, 5, 31, 18, 30));
  });

  it('the last closed period is the one before the period of now', () => {
    expect(lastClosedPeriod(utc(2026, 12, 3, 12), 'month', 'UTC').label).toBe('2026-11');
    expect(lastClosedPeriod(utc(2027, 1, 1), 'month', 'UTC').label).toBe('2026-12');
    expect(lastClosedPeriod(utc(2026, 3, 1, 3), 'day', 'America/New_York').label).toBe('2026-02-27');
  });

  it('labels name their period and nothing else', () => {
    expect(periodOfLabel('2026-13', 'month', 'UTC')).toBeNull();
    expect(periodOfLabel('2026-11-01', 'month', 'UTC')).toBeNull();
    expect(periodOfLabel('2026-11', 'day', 'UTC')).toBeNull();
    expect(periodOfLabel('2026-11', 'month', 'Europe/Paris')).toMatchObject({
      start: utc(2026, 10, 31, 23),
      end: utc(2026, 11, 30, 23),
    });
  });
});
