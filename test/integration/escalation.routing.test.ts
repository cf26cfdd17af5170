/**
 * Escalations routed by target, end to end on a real nats-server with a workspace-node, the
 * supervisor and TWO gateways (each runs the escalation router): an actor whose restart policy
 * escalates is stopped by the supervisor (KV `moe_stopped_actors`, with `to`), and the gateways
 * route it once between them —
 *
 * - `org-admin`: one signed `actor.escalated` webhook to the org's endpoint (the signature
 *   verifies with the documented receiver recipe);
 * - `coordinator`: the failed child agent's coordinator journals one `escalation.noticed` (and no
 *   webhook goes out);
 * - `coordinator` with no running coordinator: one `actor.escalated` webhook with
 *   `routedTo: "org-admin"`.
 *
 * Each case fails with the routers off (`escalationRouting: false`): nothing else delivers these.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Kvm, type KV } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { verifyMoeSignature } from '../../examples/webhook-receiver.js';
import { buildGateway, escalationId, type EscalatedWebhook, type Gateway } from '../../gateway/index.js';
import {
  openWebhookBucket,
  secretBox,
  WEBHOOK_EVENT_TYPES,
  WebhookStore,
  type WebhookEndpoint,
} from '../../gateway/webhooks/index.js';
import { KV_BUCKETS, parseStoppedActor, type ActorAddress, type StoppedActor } from '../../schemas/index.js';
import { startSupervisor, type Supervisor } from '../../supervisor/index.js';
import { eventually, silent, startPlatform, type Platform } from '../harness/index.js';
import { JWT_SECRET } from './gateway.fixture.js';

// each case waits for a policy decision, a KV watch, a route and a delivery or a turn
vi.setConfig({ testTimeout: 180_000 });

interface Receiver {
  url: string;
  hits: { body: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

/** A local webhook receiver answering 204. */
async function receiver(): Promise<Receiver> {
  const hits: Receiver['hits'] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      hits.push({ body, headers: req.headers });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    hits,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const SECRETS_KEY = randomBytes(32);
/** the routers on (default): MOE_TEST_ESCALATION_ROUTING=0 runs the cases without them */
const ROUTING = process.env.MOE_TEST_ESCALATION_ROUTING !== '0';

let p: Platform;
let sup: Supervisor;
const gateways: Gateway[] = [];
const receivers: Receiver[] = [];
let stoppedKv: KV;
let hooks: WebhookStore;

beforeAll(async () => {
  p = await startPlatform();
  stoppedKv = await new Kvm(p.nc).open(KV_BUCKETS.stoppedActors);
  hooks = new WebhookStore(await openWebhookBucket(p.nc), secretBox(SECRETS_KEY));
  const fast = { maxRestarts: 0, windowMs: 60_000, backoffBaseMs: 10, backoffMaxMs: 10 };
  sup = await startSupervisor({
    nc: p.nc,
    port: 0,
    logger: silent,
    leaderLeaseMs: 1500,
    intervalMs: 200,
    id: 'esc-sup',
    restartPolicies: {
      session: { ...fast, then: 'escalate', escalateTo: 'org-admin' },
      agent: { ...fast, then: 'escalate', escalateTo: 'coordinator' },
    },
  });
  await p.node({ nodeId: 'esc-node-1', httpPort: null });
  for (let i = 0; i < 2; i++)
    gateways.push(
      await buildGateway({
        nc: p.nc,
        jwtSecret: JWT_SECRET,
        logger: false,
        secretBox: secretBox(SECRETS_KEY),
        webhooks: { maxAttempts: 5, backoffMs: 100, timeoutMs: 3000 },
        escalationRouting: ROUTING,
      }),
    );
  await eventually(async () => (sup.isLeader ? true : undefined), { timeoutMs: 30_000, what: 'a leader' });
}, 120_000);

afterAll(async () => {
  for (const g of gateways) await g.close().catch(() => undefined);
  for (const r of receivers) await r.close();
  await sup?.stop();
  await p?.close();
});

const key = (a: ActorAddress) => `${a.org}.${a.ws}.${a.kind}.${a.id}`;

/** An org endpoint taking every event type, with its receiver. */
async function endpoint(org: string): Promise<{ ep: WebhookEndpoint; rx: Receiver }> {
  const rx = await receiver();
  receivers.push(rx);
  const ep = await hooks.create(org, rx.url, [...WEBHOOK_EVENT_TYPES]);
  return { ep, rx };
}

/** Sends a command the actor's machine does not know, and waits for the supervisor's stop record. */
async function escalate(a: ActorAddress, id: string): Promise<StoppedActor> {
  await p.client.send(a, { id, type: 'no.such.command', data: {} });
  return eventually(
    async () => {
      const e = await stoppedKv.get(key(a));
      return (e && e.operation === 'PUT' ? parseStoppedActor(e.value) : null) ?? undefined;
    },
    { timeoutMs: 30_000, what: `${key(a)} stopped by its policy` },
  );
}

/** Lets a late or duplicate delivery show up before "exactly one" is asserted. */
const settle = () => new Promise((r) => setTimeout(r, 3000));

/** The escalation.noticed events a coordinator journaled. */
async function noticed(c: ActorAddress) {
  const records = await p.records(`moe.evt.${key(c)}`);
  return records.flatMap((r) => r.record.events).filter((e) => e.type === 'escalation.noticed');
}

/** `moe_escalations_total` summed over the test's two gateways, for one label set. */
async function escalationsCounted(labels: { to: string; routed_to: string; outcome: string }) {
  let n = 0;
  for (const g of gateways)
    for (const v of (await g.ctx.metrics.escalations.get()).values)
      if (
        v.labels.to === labels.to &&
        v.labels.routed_to === labels.routed_to &&
        v.labels.outcome === labels.outcome
      )
        n += v.value;
  return n;
}

describe('escalation routing', () => {
  it('org-admin: the org endpoint gets exactly one signed actor.escalated webhook', async () => {
    const { ep, rx } = await endpoint('esca');
    const a = { org: 'esca', ws: 'w1', kind: 'session', id: 's1' };
    const rec = await escalate(a, 's1-poison');
    expect(rec).toMatchObject({ action: 'escalate', to: 'org-admin', commandId: 's1-poison' });
    await eventually(() => (rx.hits.length > 0 ? true : undefined), {
      timeoutMs: 60_000,
      what: 'the actor.escalated webhook',
    });
    await settle();
    expect(rx.hits).toHaveLength(1);
    const hit = rx.hits[0]!;
    const body = JSON.parse(hit.body) as EscalatedWebhook;
    const id = escalationId(key(a), rec.at);
    expect(body).toMatchObject({
      type: 'actor.escalated',
      id,
      org: 'esca',
      ws: 'w1',
      actor: a,
      to: 'org-admin',
      routedTo: 'org-admin',
      code: 'MOE_ERR_UNKNOWN_COMMAND',
      commandId: 's1-poison',
      restarts: 0,
      at: rec.at,
      decidedBy: 'esc-sup',
    });
    expect(hit.headers['moe-event-id']).toBe(id);
    expect(verifyMoeSignature(ep.secret, hit.headers['moe-signature'] as string, hit.body)).toBe(true);
    expect((await hooks.delivery('esca', ep.id, id))?.status).toBe('delivered');
    const marker = await (await new Kvm(p.nc).open(KV_BUCKETS.escalations)).get(id);
    expect(marker?.json()).toMatchObject({ state: 'routed', routedTo: 'org-admin', endpoints: 1 });
    // counted once, by the gateway that routed it
    expect(await escalationsCounted({ to: 'org-admin', routed_to: 'org-admin', outcome: 'routed' })).toBe(1);
    // a gateway that starts later reads the record from the bucket and sends nothing again
    const late = await buildGateway({
      nc: p.nc,
      jwtSecret: JWT_SECRET,
      logger: false,
      secretBox: secretBox(SECRETS_KEY),
      escalationRouting: ROUTING,
    });
    try {
      await settle();
      expect(rx.hits).toHaveLength(1);
    } finally {
      await late.close();
    }
  });

  it("coordinator: the failed agent's coordinator journals exactly one escalation.noticed", async () => {
    const { rx } = await endpoint('escc');
    const c = { org: 'escc', ws: 'w1', kind: 'coordinator', id: 'c1' };
    // one subtask whose agent waits for approval of its shell call: the coordinator keeps running
    await p.client.send(c, {
      id: 'c1-submit',
      type: 'task.submit',
      data: {
        prompt: 'do it',
        subtasks: [
          { prompt: 'run ls', script: [{ toolCalls: [{ name: 'shell', input: { command: 'ls' } }] }] },
        ],
        approvalRequired: ['shell'],
        aggregate: 'concat',
      },
    });
    const child = { org: 'escc', ws: 'w1', kind: 'agent', id: 'c1-e1' };
    await eventually(
      async () => {
        const recs = await p.records(`moe.evt.${key(child)}`);
        return recs.some((r) => r.record.events.some((e) => e.type === 'task.accepted')) ? true : undefined;
      },
      { timeoutMs: 30_000, what: 'the child agent started' },
    );
    const rec = await escalate(child, 'e1-poison');
    expect(rec).toMatchObject({ action: 'escalate', to: 'coordinator' });
    const id = escalationId(key(child), rec.at);
    await eventually(async () => ((await noticed(c)).length > 0 ? true : undefined), {
      timeoutMs: 60_000,
      what: 'the coordinator noticing the escalation',
    });
    await settle();
    const events = await noticed(c);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'escalation.noticed',
      escalation: id,
      actor: key(child),
      code: 'MOE_ERR_UNKNOWN_COMMAND',
      restarts: 0,
      at: rec.at,
    });
    // routed to the coordinator only: the org's endpoint heard nothing
    expect(rx.hits).toHaveLength(0);
  });

  it('coordinator with none running: one actor.escalated webhook, routed to the org admins', async () => {
    const { ep, rx } = await endpoint('escf');
    const a = { org: 'escf', ws: 'w1', kind: 'agent', id: 'lone' };
    const rec = await escalate(a, 'lone-poison');
    expect(rec).toMatchObject({ action: 'escalate', to: 'coordinator' });
    await eventually(() => (rx.hits.length > 0 ? true : undefined), {
      timeoutMs: 60_000,
      what: 'the fallback webhook',
    });
    await settle();
    expect(rx.hits).toHaveLength(1);
    const hit = rx.hits[0]!;
    expect(JSON.parse(hit.body)).toMatchObject({
      type: 'actor.escalated',
      id: escalationId(key(a), rec.at),
      actor: a,
      to: 'coordinator',
      routedTo: 'org-admin',
    });
    expect(verifyMoeSignature(ep.secret, hit.headers['moe-signature'] as string, hit.body)).toBe(true);
  });
});
