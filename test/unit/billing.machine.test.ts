/**
 * The billing actor's machine (actors/billing.machine.ts), driven as the kernel drives it: the
 * first command arms a durable timer at the period's end + grace; a tick issues the period
 * (`invoice.issue` with everything the invoice depends on), then pushes it; an early tick (the
 * kernel clamps long timers) re-arms; on-demand issues are once per label; payments update the
 * delivery; open periods are refused.
 */
import { describe, expect, it } from 'vitest';
import { billingMachine, DEFAULT_GRACE_MS, type KernelEvent } from '../../actors/index.js';
import { MachineHost } from '../../actors/kernel/index.js';

const utc = (y: number, m: number, d: number, h = 0) => Date.UTC(y, m - 1, d, h);
const ev = (type: string, data: Record<string, unknown>, turn: number, at: number): KernelEvent => ({
  type,
  data,
  id: `c${turn}`,
  at,
  turn,
  session: 'billing',
});
const host = new MachineHost(billingMachine);
const invoice = (label: string) => ({ id: `inv-o.w-${label}`, lines: [], totals: {} });

describe('billing machine', () => {
  it('starts the schedule, issues the period when the timer fires, then pushes the invoice', () => {
    const s1 = host.apply(host.initial(), ev('billing.start', {}, 1, utc(2026, 11, 15)));
    const fireAt = utc(2026, 12, 1) + DEFAULT_GRACE_MS;
    expect(s1.effects).toEqual([{ id: '1.1', kind: 'timer', fireAt }]);
    expect(s1.emits[0]).toMatchObject({ type: 'billing.configured', current: { label: '2026-11' } });
    // fired early (a clamped kernel timer): the same instant again
    const early = host.apply(s1.next, ev('timer.fired', { effectId: '1.1' }, 2, utc(2026, 11, 25)));
    expect(early.effects).toEqual([{ id: '2.1', kind: 'timer', fireAt }]);
    expect(early.emits).toEqual([]);
    const s3 = host.apply(early.next, ev('timer.fired', { effectId: '2.1' }, 3, fireAt));
    expect(s3.effects).toEqual([
      { id: '3.1', kind: 'timer', fireAt: utc(2027, 1, 1) + DEFAULT_GRACE_MS },
      {
        id: '3.0',
        kind: 'invoice.issue',
        label: '2026-11',
        start: utc(2026, 11, 1),
        end: utc(2026, 12, 1),
        timeZone: 'UTC',
        issuedAt: fireAt,
        plans: [{ from: utc(2026, 11, 1), plan: null }],
        adjustments: [],
      },
    ]);
    const s4 = host.apply(
      s3.next,
      ev('effect.result', { effectId: '3.0', value: invoice('2026-11') }, 4, fireAt + 9),
    );
    expect(s4.emits).toEqual([{ type: 'invoice.issued', invoice: invoice('2026-11') }]);
    expect(s4.effects).toEqual([{ id: '4.2', kind: 'invoice.push', invoice: invoice('2026-11') }]);
    const s5 = host.apply(
      s4.next,
      ev('effect.result', { effectId: '4.2', value: { status: 'not_sent' } }, 5, 7),
    );
    expect(s5.emits).toEqual([
      { type: 'invoice.delivery', invoiceId: 'inv-o.w-2026-11', delivery: { status: 'not_sent' }, at: 7 },
    ]);
    const s6 = host.apply(
      s5.next,
      ev('invoice.payment', { invoiceId: 'inv-o.w-2026-11', status: 'paid', externalId: 'in_1' }, 6, 8),
    );
    expect(s6.emits).toEqual([
      {
        type: 'invoice.delivery',
        invoiceId: 'inv-o.w-2026-11',
        delivery: { status: 'paid', externalId: 'in_1' },
        at: 8,
      },
    ]);
  });

  it('issues a closed period on demand once, refuses an open one, and carries plans and adjustments', () => {
    const at = utc(2026, 12, 3);
    let s = host.apply(host.initial(), ev('billing.plan', { plan: 'team' }, 1, utc(2026, 11, 10)));
    s = host.apply(
      s.next,
      ev('billing.adjust', { amountMicros: -500, reason: 'goodwill' }, 2, utc(2026, 11, 12)),
    );
    const open = host.apply(s.next, ev('invoice.issue', { label: '2026-12' }, 3, at));
    expect(open.emits[0]).toMatchObject({ type: 'billing.refused', code: 'MOE_ERR_PERIOD_OPEN' });
    const bad = host.apply(s.next, ev('invoice.issue', { label: '2026-13' }, 3, at));
    expect(bad.emits[0]).toMatchObject({ type: 'billing.refused', code: 'MOE_ERR_PERIOD_INVALID' });
    const issue = host.apply(s.next, ev('invoice.issue', {}, 3, at));
    const req = issue.effects.find((e) => e.kind === 'invoice.issue');
    expect(req).toMatchObject({
      label: '2026-11',
      plans: [
        { from: utc(2026, 11, 1), plan: null },
        { from: utc(2026, 11, 10), plan: 'team' },
      ],
      adjustments: [{ at: utc(2026, 11, 12), amountMicros: -500, reason: 'goodwill' }],
    });
    // the schedule's own period was issued early: the schedule moved on to December
    expect(issue.emits.find((e) => e.type === 'billing.configured')).toMatchObject({
      current: { label: '2026-12' },
    });
    const again = host.apply(issue.next, ev('invoice.issue', { label: '2026-11' }, 4, at + 1));
    expect(again.effects).toEqual([]);
    const done = host.apply(
      issue.next,
      ev('effect.result', { effectId: '3.0', value: invoice('2026-11') }, 4, at + 2),
    );
    const after = host.apply(done.next, ev('invoice.issue', { label: '2026-11' }, 5, at + 3));
    expect(after.effects).toEqual([]);
    expect(after.emits).toEqual([]);
  });

  it('a failed issue journals invoice.failed and keeps its adjustments for the next one', () => {
    const at = utc(2026, 12, 3);
    let s = host.apply(
      host.initial(),
      ev('billing.adjust', { amountMicros: 100, reason: 'setup' }, 1, utc(2026, 11, 2)),
    );
    s = host.apply(s.next, ev('invoice.issue', { label: '2026-11' }, 2, at));
    const failed = host.apply(
      s.next,
      ev(
        'effect.failed',
        { effectId: '2.0', error: { code: 'MOE_ERR_PLAN_UNKNOWN', message: 'x' } },
        3,
        at + 1,
      ),
    );
    expect(failed.emits).toEqual([
      { type: 'invoice.failed', label: '2026-11', code: 'MOE_ERR_PLAN_UNKNOWN', message: 'x' },
    ]);
    const retry = host.apply(failed.next, ev('invoice.issue', { label: '2026-11' }, 4, at + 2));
    expect(retry.effects.find((e) => e.kind === 'invoice.issue')).toMatchObject({
      adjustments: [{ amountMicros: 100, reason: 'setup' }],
    });
  });

  it('a time-zone org: periods at local midnight; an unknown zone is refused', () => {
    const s1 = host.apply(
      host.initial(),
      ev('billing.configure', { timeZone: 'Asia/Tokyo' }, 1, utc(2026, 11, 30, 16)),
    );
    expect(s1.emits[0]).toMatchObject({
      type: 'billing.configured',
      timeZone: 'Asia/Tokyo',
      current: { label: '2026-12', start: utc(2026, 11, 30, 15), end: utc(2026, 12, 31, 15) },
    });
    const bad = host.apply(s1.next, ev('billing.configure', { timeZone: 'Mars/Olympus' }, 2, 1));
    expect(bad.emits[0]).toMatchObject({ type: 'billing.refused', code: 'MOE_ERR_TIME_ZONE_UNKNOWN' });
  });
});
