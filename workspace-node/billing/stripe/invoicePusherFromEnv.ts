/**
 * Which invoice pusher a workspace-node uses, from its environment: the Stripe pusher when
 * `MOE_STRIPE_SECRET_KEY` is set, else {@link notSentPusher}, which pushes nothing and marks every
 * invoice `not_sent` (invoices are still issued, served and exported).
 *
 * @example
 *   startWorkspaceNode({ …, invoicePusher: invoicePusherFromEnv(process.env) });
 */
import type { InvoicePusher } from '../../../schemas/index.js';
import { stripeConfigFromEnv } from './stripeConfig.js';
import { stripeInvoicePusher } from './stripeInvoicePusher.js';

/** Payments off: nothing leaves the platform, the invoice's delivery is `not_sent`. */
export const notSentPusher: InvoicePusher = {
  name: 'none',
  push: () => Promise.resolve({ status: 'not_sent' }),
};

export function invoicePusherFromEnv(env: NodeJS.ProcessEnv): InvoicePusher {
  const config = stripeConfigFromEnv(env);
  return config ? stripeInvoicePusher(config) : notSentPusher;
}
