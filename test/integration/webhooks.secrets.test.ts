/**
 * Webhook signing secrets at rest, on a real nats-server and gateway (its webhook service): the KV
 * value of an endpoint registered over REST holds no secret, yet deliveries verify with the
 * documented recipe (examples/webhook-receiver.ts); an endpoint stored in plain text before
 * sealing is still delivered to and comes out sealed; one sealed under another key is not a
 * crash but failed attempts coded MOE_ERR_SECRETS_KEY_WRONG in the delivery log (nothing sent);
 * a gateway without a key refuses to register one (MOE_ERR_SECRETS_KEY_MISSING).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jetstream } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyMoeSignature } from '../../examples/webhook-receiver.js';
import { buildGateway } from '../../gateway/index.js';
import {
  openWebhookBucket,
  secretBox,
  WebhookStore,
  type DeliveryRecord,
  type WebhookEndpoint,
} from '../../gateway/webhooks/index.js';
import type { BudgetAlert } from '../../schemas/index.js';
import { journalAlertSink } from '../../workspace-node/limits/index.js';
import { eventually } from '../harness/index.js';
import {
  call,
  JWT_SECRET,
  registerAndLogin,
  SECRETS_KEY,
  startStack,
  type Stack,
} from './gateway.fixture.js';

interface Hit {
  body: string;
  sig: string;
}
const servers: Server[] = [];
async function receiver(): Promise<{ url: string; hits: Hit[] }> {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      hits.push({ body, sig: String(req.headers['moe-signature']) });
      res.writeHead(204).end();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, hits };
}

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ gateway: { webhooks: { maxAttempts: 3, backoffMs: 100, timeoutMs: 3000 } } });
}, 90_000);
afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
  await stack?.stop();
});

const raw = async (key: string) => {
  const e = await (await openWebhookBucket(stack.nc)).get(key);
  return e ? new TextDecoder().decode(e.value) : '';
};

describe('webhook secrets at rest', () => {
  it('seals new secrets, reads old plain-text ones (then seals them), and codes a wrong key', async () => {
    const owner = await registerAndLogin(stack.gw, 'sealer');
    const org = (await call<{ id: string }>(stack.gw, owner.auth, 'POST', '/api/orgs', { name: 'S' })).body
      .id;
    const [sealedRx, legacyRx, wrongRx] = [await receiver(), await receiver(), await receiver()];

    // registered over REST: the answer carries the secret, the KV value does not
    const created = await call<WebhookEndpoint>(stack.gw, owner.auth, 'POST', `/api/orgs/${org}/webhooks`, {
      url: sealedRx.url,
    });
    expect(created.status).toBe(201);
    const stored = await raw(`ep.${org}.${created.body.id}`);
    expect(stored).not.toContain(created.body.secret);
    expect(stored).not.toContain(created.body.secret.slice(6));
    expect(JSON.parse(stored)).toMatchObject({
      id: created.body.id,
      sealedSecret: expect.stringMatching(/^v1\./),
    });
    expect(JSON.parse(stored)).not.toHaveProperty('secret');

    // an endpoint written before sealing (plain `secret`), and one sealed under another key
    const kv = await openWebhookBucket(stack.nc);
    const legacySecret = `whsec_${randomBytes(32).toString('base64url')}`;
    const legacy = {
      id: 'hlegacy',
      org,
      url: legacyRx.url,
      secret: legacySecret,
      events: ['budget.alert'],
      createdAt: 1,
    };
    await kv.create(`ep.${org}.hlegacy`, JSON.stringify(legacy));
    const other = await new WebhookStore(kv, secretBox(randomBytes(32))).create(org, wrongRx.url, [
      'budget.alert',
    ]);
    // listing needs no key at all
    const listed = await call<{ webhooks: { id: string }[] }>(
      stack.gw,
      owner.auth,
      'GET',
      `/api/orgs/${org}/webhooks`,
    );
    expect(listed.body.webhooks.map((w) => w.id).sort()).toEqual(
      [created.body.id, 'hlegacy', other.id].sort(),
    );

    const alert = {
      type: 'budget.alert',
      id: `ba-${org}-org-2026-12-50`,
      org,
      scope: 'org',
      scopeId: org,
      period: '2026-12',
      threshold: 50,
      limitMicros: 100,
      usedMicros: 50,
      at: Date.now(),
    } as BudgetAlert;
    await journalAlertSink(jetstream(stack.nc))(alert, { ws: '_org', seq: 1 });

    await eventually(() => (sealedRx.hits.length > 0 && legacyRx.hits.length > 0) || undefined, {
      timeoutMs: 30_000,
      what: 'deliveries to the sealed and the plain-text endpoint',
    });
    // both verify with the documented recipe, under the secret each was given
    expect(verifyMoeSignature(created.body.secret, sealedRx.hits[0]!.sig, sealedRx.hits[0]!.body)).toBe(true);
    expect(verifyMoeSignature(legacySecret, legacyRx.hits[0]!.sig, legacyRx.hits[0]!.body)).toBe(true);
    // the plain-text record came out sealed, still opening to the same secret
    const resealed = await raw(`ep.${org}.hlegacy`);
    expect(resealed).not.toContain(legacySecret);
    expect(JSON.parse(resealed)).toMatchObject({ sealedSecret: expect.stringMatching(/^v1\./) });
    expect((await new WebhookStore(kv, secretBox(SECRETS_KEY)).endpoint(org, 'hlegacy'))?.secret).toBe(
      legacySecret,
    );

    // the wrong key: failed attempts with the code, dead after 3, nothing sent
    const log = await eventually(
      async () => {
        const d = await call<{ deliveries: DeliveryRecord[] }>(
          stack.gw,
          owner.auth,
          'GET',
          `/api/orgs/${org}/webhooks/deliveries`,
        );
        const mine = d.body.deliveries.find((x) => x.endpointId === other.id);
        return mine?.status === 'dead' ? mine : undefined;
      },
      { timeoutMs: 30_000, what: 'the wrong-key delivery dead-lettered' },
    );
    expect(log.attempts).toHaveLength(3);
    for (const a of log.attempts) {
      expect(a.status).toBeNull();
      expect(a.error).toContain('MOE_ERR_SECRETS_KEY_WRONG');
    }
    expect(wrongRx.hits).toHaveLength(0);
    const wrong = await new WebhookStore(kv, secretBox(SECRETS_KEY))
      .endpoint(org, other.id)
      .catch((e: unknown) => e);
    expect(wrong).toMatchObject({ code: 'MOE_ERR_SECRETS_KEY_WRONG' });
  }, 90_000);

  it('a gateway without a key refuses to register a webhook, with a stable code', async () => {
    const gw = await buildGateway({
      nc: stack.nc,
      jwtSecret: JWT_SECRET,
      logger: false,
      webhooks: false,
      secretBox: null,
    });
    try {
      const owner = await registerAndLogin(gw, 'keyless');
      const org = (await call<{ id: string }>(gw, owner.auth, 'POST', '/api/orgs', { name: 'K' })).body.id;
      const r = await call<{ error: { code: string } }>(gw, owner.auth, 'POST', `/api/orgs/${org}/webhooks`, {
        url: 'http://127.0.0.1:9/hook',
      });
      expect([r.status, r.body.error.code]).toEqual([503, 'MOE_ERR_SECRETS_KEY_MISSING']);
    } finally {
      await gw.close();
    }
  }, 60_000);
});
