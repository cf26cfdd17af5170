/**
 * Webhook endpoints of an org (org admins): `POST /api/orgs/:org/webhooks` registers a URL and
 * answers its signing secret — the only time it is shown; `GET` lists them (no secrets); `DELETE
 * /api/orgs/:org/webhooks/:hook` removes one (its pending deliveries are dropped); `GET
 * /api/orgs/:org/webhooks/deliveries` is the delivery log, newest first: status (pending,
 * delivered, dead, dropped) and every attempt. Stored in the `moe_webhooks` KV bucket
 * (webhooks/webhookStore.ts); delivered by webhooks/webhookService.ts.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Token } from '../../schemas/index.js';
import { principal, type GatewayContext } from '../context.js';
import { errors } from '../errors.js';
import { errorResponses, OrgParams } from '../httpSchemas.js';
import { openWebhookBucket, WEBHOOK_EVENT_TYPES, WebhookStore } from '../webhooks/index.js';

const CreateWebhookBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2048 }),
    events: Type.Optional(
      Type.Array(Type.Union(WEBHOOK_EVENT_TYPES.map((t) => Type.Literal(t))), {
        minItems: 1,
        description: 'event types to send; default all (budget.alert, actor.escalated)',
      }),
    ),
  },
  { additionalProperties: false },
);
const HookParams = Type.Object({ org: Token, hook: Token }, { additionalProperties: false });
const DeliveriesQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) },
  { additionalProperties: false },
);

function checkUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw errors.WEBHOOK_URL(raw);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw errors.WEBHOOK_URL(raw);
  return url.toString();
}

export function webhookRoutes(ctx: GatewayContext): FastifyPluginAsyncTypebox {
  const { access } = ctx;
  let opened: Promise<WebhookStore> | undefined;
  const store = () =>
    (opened ??= openWebhookBucket(ctx.bus.nc).then((kv) => new WebhookStore(kv, ctx.secretBox)));
  const tags = ['webhooks'];

  return async (app) => {
    app.post(
      '/api/orgs/:org/webhooks',
      { schema: { tags, params: OrgParams, body: CreateWebhookBody, response: errorResponses(403, 404) } },
      async (req, reply) => {
        access.requireOrg(principal(req), req.params.org, 'admin');
        const url = checkUrl(req.body.url);
        const ep = await (
          await store()
        ).create(req.params.org, url, req.body.events ?? [...WEBHOOK_EVENT_TYPES]);
        return reply.status(201).send(ep);
      },
    );
    app.get(
      '/api/orgs/:org/webhooks',
      { schema: { tags, params: OrgParams, response: errorResponses(403, 404) } },
      async (req) => {
        access.requireOrg(principal(req), req.params.org, 'admin');
        const eps = await (await store()).endpoints(req.params.org);
        return { webhooks: eps };
      },
    );
    app.delete(
      '/api/orgs/:org/webhooks/:hook',
      { schema: { tags, params: HookParams, response: errorResponses(403, 404) } },
      async (req, reply) => {
        access.requireOrg(principal(req), req.params.org, 'admin');
        if (!(await (await store()).remove(req.params.org, req.params.hook)))
          throw errors.NOT_FOUND(`webhook ${req.params.hook}`);
        return reply.status(204).send();
      },
    );
    app.get(
      '/api/orgs/:org/webhooks/deliveries',
      {
        schema: { tags, params: OrgParams, querystring: DeliveriesQuery, response: errorResponses(403, 404) },
      },
      async (req) => {
        access.requireOrg(principal(req), req.params.org, 'admin');
        const all = await (await store()).deliveries(req.params.org);
        return { deliveries: all.slice(0, req.query.limit ?? 100) };
      },
    );
  };
}
