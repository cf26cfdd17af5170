/**
 * `POST /api/billing/stripe/webhook`: where Stripe reports payments of the invoices the Stripe
 * pusher sent. Public (Stripe has no MOE credentials): the caller is authenticated by the
 * `Stripe-Signature` header, verified with the SDK's `stripe.webhooks.constructEvent` over the raw
 * body (this route family parses every body as bytes, never as JSON, so the signed bytes are the
 * ones checked) against MOE_STRIPE_WEBHOOK_SECRET; a missing or bad signature is a 400
 * MOE_ERR_STRIPE_SIGNATURE. A payment event is published as `invoice.payment` to the workspace's
 * billing actor (stripePayment.ts) and answered 200 once JetStream stored it; other events are
 * answered 200 and dropped. NATS down → 503, which Stripe retries.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import Stripe from 'stripe';
import type { GatewayContext } from '../context.js';
import { errors } from '../errors.js';
import { errorResponses } from '../httpSchemas.js';
import { stripeEventOutcome } from '../stripePayment.js';

const Received = Type.Object({
  received: Type.Literal(true),
  /** the command the event became (`invoice.payment`), when it is a payment of a MOE invoice */
  command: Type.Optional(Type.String()),
  /** why the event was dropped, when it was */
  ignored: Type.Optional(Type.String()),
});

export function stripeWebhookRoutes(ctx: GatewayContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    // the signature covers the exact bytes Stripe sent: keep them (this plugin's routes only)
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

    app.post(
      '/api/billing/stripe/webhook',
      {
        config: { public: true },
        schema: {
          tags: ['billing'],
          security: [],
          summary:
            'Stripe webhook: invoice.paid / invoice.payment_failed → invoice.payment to the billing actor',
          response: { 200: Received, ...errorResponses(501, 503) },
        },
      },
      async (req) => {
        const secret = ctx.stripeWebhookSecret;
        if (!secret) throw errors.STRIPE_NOT_CONFIGURED();
        const signature = req.headers['stripe-signature'];
        if (typeof signature !== 'string' || !signature)
          throw errors.STRIPE_SIGNATURE('no Stripe-Signature header');
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        let event: Stripe.Event;
        try {
          event = Stripe.webhooks.constructEvent(raw, signature, secret);
        } catch (err) {
          throw errors.STRIPE_SIGNATURE((err as Error).message);
        }
        const outcome = stripeEventOutcome(event);
        if (outcome.kind === 'ignored') {
          req.log.info({ stripeEvent: event.id, type: event.type }, outcome.reason);
          return { received: true as const, ignored: outcome.reason };
        }
        await ctx.bus.publish(outcome.to, 'invoice.payment', outcome.data, { id: outcome.id });
        return { received: true as const, command: 'invoice.payment' };
      },
    );
  };
}
