/**
 * The `invoice.push` effect of the billing actor: hands the issued invoice to the node's
 * {@link InvoicePusher} (default billing/notSentPusher.ts: `not_sent`; Stripe: billing/stripe/).
 * Its result is the delivery the actor journals as `invoice.delivery`. A pusher must be
 * idempotent on the invoice id: a re-drive after a crash pushes the same invoice again.
 */
import type { EffectHandlerOf } from '../../actors/kernel/index.js';
import type { InvoiceDelivery, InvoicePusher } from '../../schemas/index.js';

export function invoicePushHandler(pusher: InvoicePusher): EffectHandlerOf<'invoice.push'> {
  return async ({ effect }): Promise<InvoiceDelivery> => {
    const delivery = await pusher.push(effect.invoice);
    return delivery.provider !== undefined || pusher.name === 'none'
      ? delivery
      : { ...delivery, provider: pusher.name };
  };
}
