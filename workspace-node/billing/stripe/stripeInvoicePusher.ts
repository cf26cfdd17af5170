/**
 * Pushes an issued invoice to Stripe with the official SDK: the workspace's customer (found by its
 * `moe_workspace` metadata, else created), the plan's product and monthly price (product id and
 * price lookup key derived from the plan name) and the customer's subscription to it (created, or
 * moved to the new price when the plan changed), then a draft invoice carrying the invoice's lines
 * as invoice items in whole cents (stripeCents.ts), finalized and answered as
 * `{ status: 'sent', provider: 'stripe', externalId, url }`.
 *
 * Why a re-push never duplicates anything: the `invoice.push` effect is re-driven after a crash, so
 * every step may run twice. Each creation carries an idempotency key derived from the invoice id
 * (`moe:<invoiceId>:<step>`), so within Stripe's 24 h key window a repeat returns the first
 * answer; past it, each step first looks for what an earlier push made, through reads that are
 * strongly consistent (the customer's invoices by `moe_invoice_id`, the draft's items by
 * `moe_line`, the price by lookup key, the product by id, the subscriptions by customer). Only the
 * customer lookup goes through Stripe's search, which lags by up to a minute; a re-push within that
 * minute is covered by the customer's idempotency key.
 *
 * Errors: what Stripe may answer differently on a retry (network, 409 lock, 429, 5xx) is
 * MOE_ERR_STRIPE_UNAVAILABLE (retryable), any other refusal MOE_ERR_STRIPE_REFUSED (not retried).
 *
 * @example
 *   const pusher = stripeInvoicePusher({ secretKey: process.env.MOE_STRIPE_SECRET_KEY! });
 *   const delivery = await pusher.push(invoice); // { status: 'sent', provider: 'stripe', … }
 */
import Stripe from 'stripe';
import type { Invoice, InvoiceDelivery, InvoicePusher } from '../../../schemas/index.js';
import { errors } from '../../errors.js';
import type { StripePusherConfig } from './stripeConfig.js';
import { stripeLines } from './stripeCents.js';

const CURRENCY = 'usd';

/** A product id / price lookup key for a plan name (Stripe ids: letters, digits, `_`, `-`). */
export function planKey(plan: string): string {
  return `moe_plan_${plan.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/** The Stripe client for a configuration (host/port/protocol when MOE_STRIPE_API_BASE is set). */
export function stripeClient(config: StripePusherConfig): Stripe {
  return new Stripe(config.secretKey, {
    maxNetworkRetries: config.maxNetworkRetries ?? 2,
    timeout: config.timeoutMs ?? 20_000,
    telemetry: false,
    appInfo: { name: 'moe-agents' },
    ...(config.apiBase
      ? { host: config.apiBase.host, port: config.apiBase.port, protocol: config.apiBase.protocol }
      : {}),
  });
}

/** Stripe's error as one of ours: retryable when a later attempt may succeed. */
function asMoeError(err: unknown): Error {
  if (!(err instanceof Stripe.errors.StripeError)) return err as Error;
  const status = err.statusCode ?? 0;
  const detail = `stripe ${err.type}${status ? ` ${status}` : ''}: ${err.message}`;
  const retryable =
    err instanceof Stripe.errors.StripeConnectionError ||
    err instanceof Stripe.errors.StripeAPIError ||
    err instanceof Stripe.errors.StripeRateLimitError ||
    status === 409 ||
    status === 429 ||
    status >= 500;
  return retryable
    ? errors.STRIPE_UNAVAILABLE(detail, { cause: err })
    : errors.STRIPE_REFUSED(detail, { cause: err });
}

const epochSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

export function stripeInvoicePusher(config: StripePusherConfig): InvoicePusher {
  const stripe = stripeClient(config);
  return {
    name: 'stripe',
    async push(invoice) {
      try {
        return await pushInvoice(stripe, config, invoice);
      } catch (err) {
        throw asMoeError(err);
      }
    },
  };
}

async function pushInvoice(
  stripe: Stripe,
  config: StripePusherConfig,
  invoice: Invoice,
): Promise<InvoiceDelivery> {
  const key = (step: string) => ({ idempotencyKey: `moe:${invoice.id}:${step}` });
  const customer = await workspaceCustomer(stripe, invoice, key('customer'));
  const price = await planPrice(
    stripe,
    invoice.plan.name,
    config.planFeeCents?.[invoice.plan.name] ?? 0,
    key,
  );
  await planSubscription(stripe, customer, price, invoice, config, key);

  let draft = await earlierPush(stripe, customer, invoice.id);
  if (draft && draft.status !== 'draft') return sent(draft);
  draft ??= await stripe.invoices.create(
    {
      customer,
      currency: CURRENCY,
      collection_method: 'send_invoice',
      days_until_due: config.daysUntilDue ?? 30,
      auto_advance: false,
      pending_invoice_items_behavior: 'exclude',
      description: `MOE-Agents usage ${invoice.org}/${invoice.ws}, ${invoice.period.label}`,
      metadata: {
        moe_invoice_id: invoice.id,
        moe_org: invoice.org,
        moe_ws: invoice.ws,
        moe_period: invoice.period.label,
        moe_due_micros: String(invoice.totals.dueMicros),
      },
    },
    key('invoice'),
  );
  const invoiceId = draft.id;
  const pushed = new Set<string>();
  for await (const item of stripe.invoiceItems.list({ invoice: invoiceId, limit: 100 }))
    if (item.metadata?.moe_line !== undefined) pushed.add(item.metadata.moe_line);
  const period = { start: epochSeconds(invoice.period.start), end: epochSeconds(invoice.period.end) - 1 };
  for (const line of stripeLines(invoice)) {
    if (pushed.has(String(line.index))) continue;
    await stripe.invoiceItems.create(
      {
        customer,
        invoice: invoiceId,
        amount: line.cents,
        currency: CURRENCY,
        description: line.description,
        period,
        metadata: line.metadata,
      },
      key(`item:${line.index}`),
    );
  }
  return sent(await stripe.invoices.finalizeInvoice(invoiceId, { auto_advance: false }, key('finalize')));
}

function sent(inv: Stripe.Invoice): InvoiceDelivery {
  return {
    status: 'sent',
    provider: 'stripe',
    externalId: inv.id,
    ...(inv.hosted_invoice_url ? { url: inv.hosted_invoice_url } : {}),
  };
}

/** The workspace's customer id: found by its metadata, else created. */
async function workspaceCustomer(
  stripe: Stripe,
  invoice: Invoice,
  opts: Stripe.RequestOptions,
): Promise<string> {
  const workspace = `${invoice.org}.${invoice.ws}`;
  const found = await stripe.customers.search({
    query: `metadata['moe_workspace']:'${workspace}'`,
    limit: 1,
  });
  if (found.data[0]) return found.data[0].id;
  const created = await stripe.customers.create(
    {
      name: `${invoice.org}/${invoice.ws}`,
      description: `MOE-Agents workspace ${invoice.ws} of org ${invoice.org}`,
      metadata: { moe_org: invoice.org, moe_ws: invoice.ws, moe_workspace: workspace },
    },
    opts,
  );
  return created.id;
}

/** The plan's monthly price id (lookup key `moe_plan_<plan>`), made with its product when missing. */
async function planPrice(
  stripe: Stripe,
  plan: string,
  feeCents: number,
  key: (step: string) => Stripe.RequestOptions,
): Promise<string> {
  const id = planKey(plan);
  const prices = await stripe.prices.list({ lookup_keys: [id], active: true, limit: 1 });
  if (prices.data[0]) return prices.data[0].id;
  const product = await stripe.products.retrieve(id).catch((err: unknown) => {
    if (err instanceof Stripe.errors.StripeError && err.statusCode === 404) return null;
    throw err;
  });
  if (!product)
    await stripe.products.create(
      { id, name: `MOE-Agents plan ${plan}`, metadata: { moe_plan: plan } },
      key('product'),
    );
  const price = await stripe.prices.create(
    {
      product: id,
      currency: CURRENCY,
      unit_amount: feeCents,
      recurring: { interval: 'month' },
      lookup_key: id,
      metadata: { moe_plan: plan },
    },
    key('price'),
  );
  return price.id;
}

/**
 * The customer's subscription on the plan's price: created, or moved from another plan. Listed
 * without a status filter, which Stripe answers with every subscription not canceled (a past-due
 * one is still the workspace's subscription, not a reason to make a second).
 */
async function planSubscription(
  stripe: Stripe,
  customer: string,
  price: string,
  invoice: Invoice,
  config: StripePusherConfig,
  key: (step: string) => Stripe.RequestOptions,
): Promise<string> {
  const plan = invoice.plan.name;
  let other: Stripe.Subscription | undefined;
  for await (const sub of stripe.subscriptions.list({ customer, limit: 100 })) {
    if (sub.items.data.some((item) => item.price.id === price)) return sub.id;
    if (sub.metadata?.moe_plan !== undefined) other ??= sub;
  }
  const item = other?.items.data[0];
  if (other && item) {
    const moved = await stripe.subscriptions.update(
      other.id,
      { items: [{ id: item.id, price }], proration_behavior: 'none', metadata: { moe_plan: plan } },
      key(`subscription:${plan}`),
    );
    return moved.id;
  }
  const created = await stripe.subscriptions.create(
    {
      customer,
      items: [{ price }],
      collection_method: 'send_invoice',
      days_until_due: config.daysUntilDue ?? 30,
      metadata: { moe_org: invoice.org, moe_ws: invoice.ws, moe_plan: plan },
    },
    key('subscription'),
  );
  return created.id;
}

/** The Stripe invoice an earlier push of `invoiceId` made for this customer, if any. */
async function earlierPush(
  stripe: Stripe,
  customer: string,
  invoiceId: string,
): Promise<Stripe.Invoice | null> {
  for await (const inv of stripe.invoices.list({ customer, limit: 100 }))
    if (inv.metadata?.moe_invoice_id === invoiceId) return inv;
  return null;
}
