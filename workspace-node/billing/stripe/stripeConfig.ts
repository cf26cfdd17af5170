/**
 * The Stripe pusher's configuration, read once from the environment: `MOE_STRIPE_SECRET_KEY`
 * turns payments on; `MOE_STRIPE_API_BASE` (`http://127.0.0.1:12111`) points the SDK at another
 * API host (the tests' wire-level fake, stripe-mock), mapped onto the SDK's host/port/protocol
 * options; `MOE_STRIPE_DAYS_UNTIL_DUE` (default 30) is the payment term of pushed invoices. The
 * webhook secret (`MOE_STRIPE_WEBHOOK_SECRET`) is the gateway's: it verifies what Stripe sends back.
 */
import { errors } from '../../errors.js';

export interface StripeApiBase {
  readonly host: string;
  readonly port: number;
  readonly protocol: 'http' | 'https';
}

export interface StripePusherConfig {
  /** `sk_live_…` / `sk_test_…` */
  readonly secretKey: string;
  /** another API host than api.stripe.com (tests, stripe-mock) */
  readonly apiBase?: StripeApiBase;
  /** days the customer has to pay a pushed invoice (`collection_method: send_invoice`); default 30 */
  readonly daysUntilDue?: number;
  /** the SDK's retries of a failed request (same idempotency key); default 2 */
  readonly maxNetworkRetries?: number;
  /** per request, ms; default 20 s */
  readonly timeoutMs?: number;
  /** monthly fee of each plan's subscription price, in cents (default 0: usage is invoiced separately) */
  readonly planFeeCents?: Readonly<Record<string, number>>;
}

/** `http(s)://host[:port]` → the SDK's host/port/protocol. */
export function parseStripeApiBase(raw: string): StripeApiBase {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw errors.CONFIG(`MOE_STRIPE_API_BASE must be a URL like http://127.0.0.1:12111, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw errors.CONFIG(`MOE_STRIPE_API_BASE must be http:// or https://, got "${raw}"`);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { host: url.hostname, port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443, protocol };
}

/** The pusher's configuration, or null when `MOE_STRIPE_SECRET_KEY` is unset (payments off). */
export function stripeConfigFromEnv(env: NodeJS.ProcessEnv): StripePusherConfig | null {
  const secretKey = env.MOE_STRIPE_SECRET_KEY?.trim();
  if (!secretKey) return null;
  const base = env.MOE_STRIPE_API_BASE?.trim();
  const days = env.MOE_STRIPE_DAYS_UNTIL_DUE?.trim();
  let daysUntilDue: number | undefined;
  if (days) {
    daysUntilDue = Number(days);
    if (!Number.isSafeInteger(daysUntilDue) || daysUntilDue < 0 || daysUntilDue > 730)
      throw errors.CONFIG(`MOE_STRIPE_DAYS_UNTIL_DUE must be an integer 0-730, got "${days}"`);
  }
  return {
    secretKey,
    ...(base ? { apiBase: parseStripeApiBase(base) } : {}),
    ...(daysUntilDue !== undefined ? { daysUntilDue } : {}),
  };
}
