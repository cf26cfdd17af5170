/**
 * The pure parts of budgets and webhooks: which thresholds a total reaches, the pending-alert
 * claim and confirm steps, UTC periods, the webhook signature against its replay window, and the
 * delivery backoff.
 */
import { describe, expect, it } from 'vitest';
import {
  backoffAfter,
  DEFAULT_WEBHOOK_CONFIG,
  signatureHeader,
  verifySignature,
} from '../../gateway/webhooks/index.js';
import { verifyMoeSignature } from '../../examples/webhook-receiver.js';
import { budgetKey, periodKey, type BudgetRecord, type PendingAlert } from '../../schemas/index.js';
import {
  adjustBudget,
  claimPending,
  confirmPending,
  crossed,
  PENDING_ALERT_STALE_MS,
} from '../../workspace-node/limits/budget.js';

const pending = (id: string, claimedAt: number): PendingAlert => ({
  alert: {
    type: 'budget.alert',
    id,
    org: 'o',
    scope: 'workspace',
    scopeId: 'w',
    period: '2026-12',
    threshold: 50,
    limitMicros: 100,
    usedMicros: 50,
    at: claimedAt,
  },
  ws: 'w',
  seq: 1,
  claimedAt,
});

describe('budgets', () => {
  it('a total reaches the thresholds at or under it that have not fired', () => {
    const b = { limitMicros: 1_000, period: 'month' as const };
    expect(crossed([], 499, b)).toEqual([]);
    expect(crossed([], 500, b)).toEqual([50]);
    expect(crossed([50], 1_000, b)).toEqual([80, 100]);
    expect(crossed([], 10_000, { ...b, thresholds: [90, 25, 90] })).toEqual([25, 90]);
    expect(crossed([], 5, { ...b, limitMicros: 0 })).toEqual([]);
  });

  it('a settlement marks each threshold once and counts the alerts', () => {
    const b = { limitMicros: 1_000, period: 'month' as const };
    const rec: BudgetRecord = { period: '2026-12', usedMicros: 400 };
    const first = adjustBudget(rec, '2026-12', 450, b);
    expect(first.fired).toEqual([50, 80]);
    expect(first.record).toMatchObject({ usedMicros: 850, alerted: [50, 80], alerts: 2 });
    const again = adjustBudget(first.record, '2026-12', 0, b);
    expect(again.fired).toEqual([]);
    expect(again.record).toBe(first.record);
    // a settlement for a period that is over changes nothing
    expect(adjustBudget(first.record, '2026-11', 100, b).record).toBe(first.record);
  });

  it('a pending alert is claimed again only once its claim is stale, and confirming removes it', () => {
    const now = 1_000_000;
    const rec: BudgetRecord = { period: '2026-12', usedMicros: 60, pending: [pending('a', now - 1_000)] };
    expect(claimPending(rec, [], now).claimed).toEqual([]);
    const late = claimPending(rec, [], now + PENDING_ALERT_STALE_MS);
    expect(late.claimed.map((p) => [p.alert.id, p.claimedAt])).toEqual([['a', now + PENDING_ALERT_STALE_MS]]);
    expect(confirmPending(late.record, 'a')).toEqual({ period: '2026-12', usedMicros: 60 });
    expect(confirmPending(late.record, 'nope')).toBe(late.record);
  });

  it('keys and UTC periods', () => {
    expect(budgetKey({ kind: 'org', org: 'o1', id: 'o1' })).toBe('budget.o1');
    expect(budgetKey({ kind: 'workspace', org: 'o1', id: 'w1' })).toBe('budget.o1.ws.w1');
    expect(budgetKey({ kind: 'project', org: 'o1', id: 'p1' })).toBe('budget.o1.project.p1');
    const t = Date.UTC(2028, 1, 29, 23, 59, 59);
    expect([periodKey('month', t), periodKey('day', t), periodKey('total', t)]).toEqual([
      '2028-02',
      '2028-02-29',
      'total',
    ]);
  });
});

describe('webhook signatures', () => {
  const secret = 'whsec_test';
  const body = '{"type":"budget.alert","id":"ba-1"}';

  it('verifies with the documented recipe inside the replay window only', () => {
    const header = signatureHeader(secret, body, 1_800_000_000);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    for (const verify of [verifySignature, verifyMoeSignature]) {
      expect(verify(secret, header, body, 300, 1_800_000_100)).toBe(true);
      expect(verify(secret, header, body, 300, 1_800_000_301)).toBe(false);
      expect(verify(secret, header, `${body} `, 300, 1_800_000_000)).toBe(false);
      expect(verify('whsec_other', header, body, 300, 1_800_000_000)).toBe(false);
      expect(verify(secret, 't=1800000000,v1=zz', body, 300, 1_800_000_000)).toBe(false);
    }
  });

  it('backs off exponentially up to the cap', () => {
    const c = { ...DEFAULT_WEBHOOK_CONFIG, backoffMs: 1_000, backoffMaxMs: 5_000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffAfter(c, n))).toEqual([1_000, 2_000, 4_000, 5_000, 5_000]);
  });
});
