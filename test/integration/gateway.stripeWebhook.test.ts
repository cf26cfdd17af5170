/**
 * `POST /api/billing/stripe/webhook` on a real gateway (real nats-server, real HTTP): an invoice
 * pushed into the wire-level Stripe fake through the real SDK comes back as a signed Stripe event
 * (signed with the SDK's generateTestHeaderString), is verified with constructEvent and becomes the
 * command `invoice.payment` on the workspace's billing actor, read back from MOE_CMD. Bad or missing
 * signatures are a 400 with MOE_ERR_STRIPE_SIGNATURE; other events are answered 200 and dropped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, type Gateway } from '../../gateway/index.js';
import { commandSubject, STREAMS, type ActorAddress } from '../../schemas/index.js';
import { stripeInvoicePusher } from '../../workspace-node/billing/stripe/index.js';
import { startPlatform, type Platform } from '../harness/index.js';
import { sendStripeWebhook, startStripeWire, type StripeWire } from '../fakes/stripeWire.js';
import { handBuiltInvoice } from '../fakes/stripeInvoice.js';

const WEBHOOK_SECRET = 'whsec_test_moe_0123456789abcdef';
const JWT_SECRET = 'test-secret-test-secret-test-secret-0123';
const billing: ActorAddress = { org: 'acme', ws: 'main', kind: 'billing', id: 'billing' };

let p: Platform;
let gw: Gateway;
let fake: StripeWire;
let url: string;
let stripeInvoiceId: string;

beforeAll(async () => {
  p = await startPlatform();
  fake = await startStripeWire();
  gw = await buildGateway({
    nc: p.nc,
    jwtSecret: JWT_SECRET,
    logger: false,
    stripeWebhookSecret: WEBHOOK_SECRET,
  });
  const base = await gw.app.listen({ port: 0, host: '127.0.0.1' });
  url = `${base}/api/billing/stripe/webhook`;
  const pusher = stripeInvoicePusher({
    secretKey: fake.secretKey,
    apiBase: fake.apiBase,
    maxNetworkRetries: 0,
  });
  const delivery = await pusher.push(handBuiltInvoice('acme', 'main', '2026-11'));
  stripeInvoiceId = delivery.externalId!;
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await fake?.close();
  await p?.close();
});

/** The commands stored on the billing actor's subject, oldest first (the test's stream is small). */
async function billingCommands(): Promise<{ id: string; type: string; data: Record<string, unknown> }[]> {
  const subject = commandSubject(billing);
  const { state } = await p.jsm.streams.info(STREAMS.commands);
  const out = [];
  for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
    const msg = await p.jsm.streams.getMessage(STREAMS.commands, { seq }).catch(() => null);
    if (msg?.subject === subject)
      out.push(msg.json<{ id: string; type: string; data: Record<string, unknown> }>());
  }
  return out;
}

describe('POST /api/billing/stripe/webhook', () => {
  it('a signed invoice.paid becomes invoice.payment {paid} on the workspace billing actor, once per event', async () => {
    const event = fake.invoiceEvent('invoice.paid', stripeInvoiceId);
    const res = await sendStripeWebhook(url, WEBHOOK_SECRET, event);
    expect(res).toEqual({ status: 200, body: { received: true, command: 'invoice.payment' } });
    // Stripe redelivers until it gets a 2xx: the same event is the same command
    expect((await sendStripeWebhook(url, WEBHOOK_SECRET, event)).status).toBe(200);
    const cmds = await billingCommands();
    expect(cmds).toEqual([
      {
        id: `stripe:${event.id as string}`,
        type: 'invoice.payment',
        data: { invoiceId: 'inv-acme.main-2026-11', status: 'paid', externalId: stripeInvoiceId },
      },
    ]);
  });

  it('a signed invoice.payment_failed becomes invoice.payment {failed} with a reason', async () => {
    const event = fake.invoiceEvent('invoice.payment_failed', stripeInvoiceId);
    expect((await sendStripeWebhook(url, WEBHOOK_SECRET, event)).status).toBe(200);
    const last = (await billingCommands()).at(-1);
    expect(last).toMatchObject({
      id: `stripe:${event.id as string}`,
      data: { invoiceId: 'inv-acme.main-2026-11', status: 'failed', externalId: stripeInvoiceId },
    });
    expect(last!.data.reason).toMatch(/payment failed \(attempt 1/);
  });

  it('a bad, missing or tampered signature is a 400 MOE_ERR_STRIPE_SIGNATURE and publishes nothing', async () => {
    const before = (await billingCommands()).length;
    const event = fake.invoiceEvent('invoice.paid', stripeInvoiceId);
    const wrongSecret = await sendStripeWebhook(url, 'whsec_someone_else', event);
    const missing = await sendStripeWebhook(url, WEBHOOK_SECRET, event, { signature: null });
    const garbage = await sendStripeWebhook(url, WEBHOOK_SECRET, event, { signature: 't=1,v1=abc' });
    for (const res of [wrongSecret, missing, garbage])
      expect(res).toMatchObject({ status: 400, body: { error: { code: 'MOE_ERR_STRIPE_SIGNATURE' } } });
    expect((await billingCommands()).length).toBe(before);
  });

  it('answers 200 and drops events it does not handle and invoices MOE-Agents did not push', async () => {
    const before = (await billingCommands()).length;
    const other = {
      id: 'evt_other_type',
      object: 'event',
      type: 'customer.created',
      data: { object: { id: 'cus_x' } },
    };
    expect(await sendStripeWebhook(url, WEBHOOK_SECRET, other)).toMatchObject({
      status: 200,
      body: { received: true, ignored: expect.stringContaining('customer.created') },
    });
    const foreign = {
      id: 'evt_foreign_invoice',
      object: 'event',
      type: 'invoice.paid',
      data: { object: { id: 'in_foreign', object: 'invoice', metadata: {} } },
    };
    expect(await sendStripeWebhook(url, WEBHOOK_SECRET, foreign)).toMatchObject({
      status: 200,
      body: { ignored: expect.stringContaining('not pushed by MOE-Agents') },
    });
    expect((await billingCommands()).length).toBe(before);
  });

  it('keeps JSON parsing for every other route (the raw body is this route’s only)', async () => {
    const res = await fetch(url.replace('/api/billing/stripe/webhook', '/auth/login'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'nobody@example.com', password: 'not the password' }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('MOE_ERR_BAD_CREDENTIALS');
  });

  it('answers 501 MOE_ERR_STRIPE_NOT_CONFIGURED on a gateway without a webhook secret', async () => {
    const bare = await buildGateway({
      nc: p.nc,
      jwtSecret: JWT_SECRET,
      logger: false,
      stripeWebhookSecret: '',
    });
    try {
      const res = await bare.app.inject({
        method: 'POST',
        url: '/api/billing/stripe/webhook',
        payload: '{}',
        headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=x' },
      });
      expect(res.statusCode).toBe(501);
      expect(res.json<{ error: { code: string } }>().error.code).toBe('MOE_ERR_STRIPE_NOT_CONFIGURED');
    } finally {
      await bare.close();
    }
  });
});
