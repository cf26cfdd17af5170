/**
 * What a verified Stripe event means for the runtime: `invoice.paid` and `invoice.payment_failed`
 * on an invoice the Stripe pusher made (its metadata carries `moe_invoice_id`, `moe_org`,
 * `moe_ws`) become the command `invoice.payment` to that workspace's billing actor
 * (`moe.cmd.<org>.<ws>.billing.billing`); anything else is ignored (answered 200, so Stripe does
 * not retry it). The command id is derived from the Stripe event id: Stripe redelivers an event
 * until it gets a 2xx, and each redelivery is the same command, dropped by JetStream's duplicate
 * window and then by the kernel's applied-id check.
 */
import { Type, type Static } from '@sinclair/typebox';
import type Stripe from 'stripe';
import { isToken, type ActorAddress } from '../schemas/index.js';

/** Data of the `invoice.payment` command (the billing actor records it as `invoice.delivery`). */
export const InvoicePaymentData = Type.Object(
  {
    invoiceId: Type.String({ minLength: 1 }),
    status: Type.Union([Type.Literal('paid'), Type.Literal('failed')]),
    externalId: Type.Optional(Type.String()),
    reason: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type InvoicePaymentData = Static<typeof InvoicePaymentData>;

export type StripeEventOutcome =
  | {
      readonly kind: 'command';
      readonly to: ActorAddress;
      readonly id: string;
      readonly data: InvoicePaymentData;
    }
  | { readonly kind: 'ignored'; readonly reason: string };

const PAYMENT_EVENTS: Record<string, InvoicePaymentData['status']> = {
  'invoice.paid': 'paid',
  'invoice.payment_failed': 'failed',
};

/** The billing actor's command for a verified Stripe event, or why it is ignored. */
export function stripeEventOutcome(event: Stripe.Event): StripeEventOutcome {
  const status = PAYMENT_EVENTS[event.type];
  if (!status) return { kind: 'ignored', reason: `event type ${event.type} is not handled` };
  const invoice = event.data.object as Stripe.Invoice;
  const meta = invoice.metadata ?? {};
  const invoiceId = meta.moe_invoice_id;
  const org = meta.moe_org ?? '';
  const ws = meta.moe_ws ?? '';
  if (!invoiceId) return { kind: 'ignored', reason: `invoice ${invoice.id} was not pushed by MOE-Agents` };
  if (!isToken(org) || !isToken(ws))
    return { kind: 'ignored', reason: `invoice ${invoice.id} has no valid moe_org/moe_ws metadata` };
  const data: InvoicePaymentData = { invoiceId, status, ...(invoice.id ? { externalId: invoice.id } : {}) };
  if (status === 'failed')
    data.reason = `payment failed (attempt ${invoice.attempt_count ?? 1}${invoice.last_finalization_error?.message ? `: ${invoice.last_finalization_error.message}` : ''})`;
  return { kind: 'command', to: { org, ws, kind: 'billing', id: 'billing' }, id: `stripe:${event.id}`, data };
}
