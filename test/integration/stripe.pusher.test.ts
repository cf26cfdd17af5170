/**
 * The Stripe pusher through the real `stripe` SDK against the wire-level fake: what a push makes in
 * Stripe (customer, plan product/price, subscription, finalized invoice with its items in cents),
 * that a re-push or a push re-driven after a crash never duplicates anything, and the env switch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  invoicePusherFromEnv,
  notSentPusher,
  roundMicrosToCents,
  stripeInvoicePusher,
  type StripePusherConfig,
} from '../../workspace-node/billing/stripe/index.js';
import { checkNodeEnv } from '../../workspace-node/index.js';
import { tempDir } from '../harness/index.js';
import { startStripeWire, type StripeWire } from '../fakes/stripeWire.js';
import { handBuiltInvoice, usageLine } from '../fakes/stripeInvoice.js';

let fake: StripeWire;
let config: StripePusherConfig;

beforeAll(async () => {
  fake = await startStripeWire();
  config = { secretKey: fake.secretKey, apiBase: fake.apiBase, maxNetworkRetries: 0, timeoutMs: 10_000 };
});
afterAll(async () => {
  await fake.close();
});

const count = (kind: Parameters<StripeWire['objects']>[0]) => fake.objects(kind).length;
const itemsOf = (stripeInvoiceId: string) =>
  fake.objects('invoiceitem').filter((i) => i.invoice === stripeInvoiceId);

describe('stripeInvoicePusher', () => {
  it('pushes an invoice: workspace customer, plan subscription, finalized invoice with its lines in cents', async () => {
    const invoice = handBuiltInvoice('acme', 'main', '2026-10');
    const delivery = await stripeInvoicePusher(config).push(invoice);
    expect(delivery).toMatchObject({ status: 'sent', provider: 'stripe' });
    expect(delivery.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/i\/in_/);

    const [customer] = fake.objects('customer');
    expect(customer).toMatchObject({
      metadata: { moe_org: 'acme', moe_ws: 'main', moe_workspace: 'acme.main' },
    });
    expect(fake.objects('product')).toEqual([expect.objectContaining({ id: 'moe_plan_standard' })]);
    expect(fake.objects('price')).toEqual([
      expect.objectContaining({
        lookup_key: 'moe_plan_standard',
        recurring: expect.objectContaining({ interval: 'month' }),
      }),
    ]);
    const [sub] = fake.objects('subscription');
    expect(sub).toMatchObject({
      customer: customer!.id,
      status: 'active',
      metadata: { moe_plan: 'standard' },
    });

    const [stripeInvoice] = fake.objects('invoice');
    expect(stripeInvoice).toMatchObject({
      id: delivery.externalId,
      customer: customer!.id,
      status: 'open',
      collection_method: 'send_invoice',
      metadata: { moe_invoice_id: invoice.id, moe_org: 'acme', moe_ws: 'main' },
      amount_due: roundMicrosToCents(invoice.totals.dueMicros),
    });
    const items = itemsOf(delivery.externalId!);
    expect(items.map((i) => i.amount)).toEqual([1235, 250, 33, -100]);
    expect(items.map((i) => i.description)).toEqual(invoice.lines.map((l) => l.description));
    // every creation carried a key derived from the invoice id
    const creations = fake.requests.filter((r) => r.method === 'POST');
    expect(creations.every((r) => r.idempotencyKey?.startsWith(`moe:${invoice.id}:`))).toBe(true);
  });

  it('a re-push of the same invoice creates nothing new and answers the same delivery', async () => {
    const invoice = handBuiltInvoice('acme', 'main', '2026-10');
    const before = {
      customers: count('customer'),
      subs: count('subscription'),
      invoices: count('invoice'),
      items: count('invoiceitem'),
    };
    const first = fake.objects('invoice')[0]!;
    const again = await stripeInvoicePusher(config).push(invoice);
    expect(again).toMatchObject({ status: 'sent', externalId: first.id, url: first.hosted_invoice_url });
    expect({
      customers: count('customer'),
      subs: count('subscription'),
      invoices: count('invoice'),
      items: count('invoiceitem'),
    }).toEqual(before);
  });

  it('the next period reuses the customer and subscription and adds one invoice', async () => {
    const delivery = await stripeInvoicePusher(config).push(handBuiltInvoice('acme', 'main', '2026-11'));
    expect(count('customer')).toBe(1);
    expect(count('subscription')).toBe(1);
    expect(count('invoice')).toBe(2);
    expect(itemsOf(delivery.externalId!)).toHaveLength(4);
  });

  it('a push that crashed mid-way (finalize failed, an answer lost) is re-driven without duplicates', async () => {
    const invoice = handBuiltInvoice('acme', 'main', '2026-12');
    const invoicesBefore = count('invoice');
    const itemsBefore = count('invoiceitem');
    const unavailable = { code: 'MOE_ERR_STRIPE_UNAVAILABLE', retryable: true };
    // crash 1: an invoice item is made in Stripe but its answer never arrives
    fake.dropNextAnswer(/^\/v1\/invoiceitems$/);
    const impatient = stripeInvoicePusher({ ...config, timeoutMs: 1_000 });
    await expect(impatient.push(invoice)).rejects.toMatchObject(unavailable);
    expect(count('invoiceitem')).toBe(itemsBefore + 1);
    // crash 2: the re-driven push gets as far as finalizing, which fails
    fake.failNext(/\/finalize$/, 500, 1);
    await expect(stripeInvoicePusher(config).push(invoice)).rejects.toMatchObject(unavailable);
    const [draft] = fake
      .objects('invoice')
      .filter((i) => (i.metadata as Record<string, string>).moe_invoice_id === invoice.id);
    expect(draft).toMatchObject({ status: 'draft' });

    // the effect is re-driven by a fresh process: a new pusher, the same invoice
    const delivery = await stripeInvoicePusher(config).push(invoice);
    expect(delivery).toMatchObject({ status: 'sent', externalId: draft!.id });
    expect(count('invoice')).toBe(invoicesBefore + 1);
    expect(count('invoiceitem')).toBe(itemsBefore + 4);
    expect(itemsOf(draft!.id as string).map((i) => i.amount)).toEqual([1235, 250, 33, -100]);
    expect(fake.objects('invoice').find((i) => i.id === draft!.id)).toMatchObject({ status: 'open' });
  });

  it('a plan change moves the workspace’s subscription to the new plan’s price', async () => {
    await stripeInvoicePusher(config).push(handBuiltInvoice('acme', 'main', '2027-01', 'pro'));
    const subs = fake.objects('subscription');
    expect(subs).toHaveLength(1);
    const proPrice = fake.objects('price').find((p) => p.lookup_key === 'moe_plan_pro')!;
    expect(subs[0]).toMatchObject({ metadata: { moe_plan: 'pro' } });
    expect((subs[0]!.items as { data: { price: { id: string } }[] }).data[0]!.price.id).toBe(proPrice.id);
  });

  it('an invoice of 400 lines goes out as 250 items summing to the due, and its re-push (3 pages of items) adds none', async () => {
    const lines = Array.from({ length: 400 }, (_, i) =>
      usageLine('openai', `m${i}`, 'bulk', 10_001 + i * 997, 1),
    );
    const invoice = handBuiltInvoice('bulk', 'ws', '2026-11', 'standard', lines);
    const started = performance.now();
    const delivery = await stripeInvoicePusher(config).push(invoice);
    const pushMs = performance.now() - started;
    const items = itemsOf(delivery.externalId!);
    expect(items).toHaveLength(250);
    expect(items.reduce((a, i) => a + (i.amount as number), 0)).toBe(
      roundMicrosToCents(invoice.totals.dueMicros),
    );
    expect(fake.objects('invoice').find((i) => i.id === delivery.externalId)).toMatchObject({
      status: 'open',
      amount_due: roundMicrosToCents(invoice.totals.dueMicros),
    });
    const again = await stripeInvoicePusher(config).push(invoice);
    expect(again.externalId).toBe(delivery.externalId);
    expect(itemsOf(delivery.externalId!)).toHaveLength(250);
    console.info(`stripe push of a 250-item invoice through the SDK and the fake: ${pushMs.toFixed(0)} ms`);
  });

  it('a refused request (bad key) is MOE_ERR_STRIPE_REFUSED, not retried', async () => {
    const pusher = stripeInvoicePusher({ ...config, secretKey: 'sk_test_wrong' });
    await expect(pusher.push(handBuiltInvoice('other', 'ws'))).rejects.toMatchObject({
      code: 'MOE_ERR_STRIPE_REFUSED',
      retryable: false,
    });
  });
});

describe('invoicePusherFromEnv', () => {
  it('without MOE_STRIPE_SECRET_KEY pushes nothing: the invoice is not_sent', async () => {
    const pusher = invoicePusherFromEnv({});
    expect(pusher).toBe(notSentPusher);
    const requests = fake.requests.length;
    await expect(pusher.push(handBuiltInvoice('acme', 'main'))).resolves.toMatchObject({
      status: 'not_sent',
    });
    expect(fake.requests.length).toBe(requests);
  });

  it('with a key and MOE_STRIPE_API_BASE pushes to that host', async () => {
    const pusher = invoicePusherFromEnv({
      MOE_STRIPE_SECRET_KEY: fake.secretKey,
      MOE_STRIPE_API_BASE: fake.endpoint,
    });
    expect(pusher.name).toBe('stripe');
    const delivery = await pusher.push(handBuiltInvoice('env', 'ws1'));
    expect(delivery).toMatchObject({ status: 'sent', provider: 'stripe' });
    expect(
      fake
        .objects('customer')
        .some((c) => (c.metadata as Record<string, string>).moe_workspace === 'env.ws1'),
    ).toBe(true);
  });

  it('refuses a MOE_STRIPE_API_BASE that is not an http(s) URL, at start (checkNodeEnv) too', () => {
    const dir = tempDir('moe-stripe-env-');
    try {
      expect(() =>
        checkNodeEnv(
          { MOE_STRIPE_SECRET_KEY: 'sk_x', MOE_STRIPE_API_BASE: 'not a url' },
          { dataDir: dir.path },
        ),
      ).toThrow(/MOE_STRIPE_API_BASE/);
      // without a key payments are off and the other MOE_STRIPE_* variables are not read
      expect(() => checkNodeEnv({ MOE_STRIPE_DAYS_UNTIL_DUE: 'x' }, { dataDir: dir.path })).not.toThrow();
    } finally {
      dir.remove();
    }
    expect(() =>
      invoicePusherFromEnv({ MOE_STRIPE_SECRET_KEY: 'sk_x', MOE_STRIPE_API_BASE: 'ftp://x' }),
    ).toThrow(/MOE_STRIPE_API_BASE/);
  });
});
