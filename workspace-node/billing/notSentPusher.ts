/**
 * The default {@link InvoicePusher}: pushes nothing, and says so (`not_sent`). A node built with
 * `invoicePusher` (WorkspaceNodeOptions; the Stripe adapter in billing/stripe/) replaces it.
 */
import type { InvoicePusher } from '../../schemas/index.js';

export const notSentPusher: InvoicePusher = {
  name: 'none',
  push: () => Promise.resolve({ status: 'not_sent', reason: 'no payment provider is configured' }),
};
