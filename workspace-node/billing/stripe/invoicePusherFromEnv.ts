/**
 * Which invoice pusher a workspace-node uses, from its environment: the Stripe pusher when
 * `MOE_STRIPE_SECRET_KEY` is set, else {@link notSentPusher}, which pushes nothing and marks every
 * invoice `not_sent` (invoices are still issued, served and exported).
 *
 * @example
 *   startWorkspaceNode({ …, invoicePusher: invoicePusherFromEnv(process.env) });
 */
import type { InvoicePusher } from '../../../schemas/index.js';
import { notSentPusher } from '../notSentPusher.js';
import { stripeConfigFromEnv } from './stripeConfig.js';
import { stripeInvoicePusher } from './stripeInvoicePusher.js';

export function invoicePusherFromEnv(env: NodeJS.ProcessEnv): InvoicePusher {
  const config = stripeConfigFromEnv(env);
  return config ? stripeInvoicePusher(config) : notSentPusher;
}
