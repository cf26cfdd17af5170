/** Payments through Stripe (optional): the invoice pusher, its configuration and the env switch. */
export { stripeInvoicePusher, stripeClient, planKey } from './stripeInvoicePusher.js';
export {
  stripeConfigFromEnv,
  parseStripeApiBase,
  type StripePusherConfig,
  type StripeApiBase,
} from './stripeConfig.js';
export { invoicePusherFromEnv } from './invoicePusherFromEnv.js';
export { notSentPusher } from '../notSentPusher.js';
export {
  stripeLines,
  apportionCents,
  roundMicrosToCents,
  MICROS_PER_CENT,
  MAX_STRIPE_ITEMS,
  type StripeLine,
} from './stripeCents.js';
