import { describe, expect, it } from 'vitest';
import type Stripe from 'stripe';
import { stripeEventOutcome } from '../../gateway/stripePayment.js';

const event = (type: string, metadata: Record<string, string>, extra: Record<string, unknown> = {}) =>
  ({
    id: 'evt_1',
    object: 'event',
    type,
    data: { object: { id: 'in_1', object: 'invoice', metadata, ...extra } },
  }) as unknown as Stripe.Event;
const moe = { moe_invoice_id: 'inv-acme.main-2026-11', moe_org: 'acme', moe_ws: 'main' };

describe('what a Stripe event means for the billing actor', () => {
  it('invoice.paid of a MOE invoice is invoice.payment {paid} to moe.cmd.<org>.<ws>.billing.billing', () => {
    expect(stripeEventOutcome(event('invoice.paid', moe))).toEqual({
      kind: 'command',
      to: { org: 'acme', ws: 'main', kind: 'billing', id: 'billing' },
      id: 'stripe:evt_1',
      data: { invoiceId: 'inv-acme.main-2026-11', status: 'paid', externalId: 'in_1' },
    });
  });

  it('invoice.payment_failed carries the attempt and Stripe’s message as the reason', () => {
    const outcome = stripeEventOutcome(
      event('invoice.payment_failed', moe, {
        attempt_count: 2,
        last_finalization_error: { message: 'card declined' },
      }),
    );
    expect(outcome).toMatchObject({
      kind: 'command',
      data: { status: 'failed', reason: 'payment failed (attempt 2: card declined)' },
    });
  });

  it('ignores other types, foreign invoices and metadata that is not a subject token', () => {
    expect(stripeEventOutcome(event('invoice.created', moe)).kind).toBe('ignored');
    expect(stripeEventOutcome(event('invoice.paid', {})).kind).toBe('ignored');
    expect(stripeEventOutcome(event('invoice.paid', { ...moe, moe_ws: 'a.>' })).kind).toBe('ignored');
  });
});
