/**
 * The sole reader's reading of delivery numbers (actors/kernel/deliveryContinuity.ts): what counts
 * as the next delivery, a jump (deliveries lost on the way) or a step back (consumer state lost by
 * the server), and when an audit's two reads of the consumer say deliveries were lost at the tail.
 */
import { describe, expect, it } from 'vitest';
import { continuityOf, lostAtTail } from '../../actors/kernel/deliveryContinuity.js';

describe('continuityOf', () => {
  it('takes any number as the start when none is known, then expects each next one', () => {
    expect(continuityOf(undefined, 17)).toBe('next');
    expect(continuityOf(0, 1)).toBe('next');
    expect(continuityOf(41, 42)).toBe('next');
  });
  it('calls a jump a gap and a repeat or a step back a step back', () => {
    expect(continuityOf(41, 43)).toBe('gap');
    expect(continuityOf(0, 5)).toBe('gap');
    expect(continuityOf(150, 107)).toBe('back');
    expect(continuityOf(9, 9)).toBe('back');
  });
});

describe('lostAtTail', () => {
  const read = (delivered: number, ackPending: number, seen: number | undefined) => ({
    delivered,
    ackPending,
    seen,
  });
  it('finds a loss when the server delivered more than arrived and nothing moved between the reads', () => {
    expect(lostAtTail(read(12, 1, 11), read(12, 1, 11))).toBe(true);
    // the server forgot deliveries (restarted from an older state) and some are unacked
    expect(lostAtTail(read(9, 2, 11), read(9, 2, 11))).toBe(true);
  });
  it('finds none when everything delivered arrived, nothing is unacked, or something moved', () => {
    expect(lostAtTail(read(12, 3, 12), read(12, 3, 12))).toBe(false);
    expect(lostAtTail(read(12, 1, 11), read(12, 0, 11))).toBe(false);
    expect(lostAtTail(read(12, 1, 11), read(13, 1, 11))).toBe(false); // still delivering: a jump will show
    expect(lostAtTail(read(12, 1, 11), read(12, 1, 12))).toBe(false); // it was in transit
    expect(lostAtTail(read(12, 1, undefined), read(12, 1, undefined))).toBe(false); // nothing to compare
  });
});
