/**
 * Budgets and signed webhooks end to end, over a real nats-server, workspace-node and gateway:
 * a workspace budget set over REST is what the limiter enforces; settling past a threshold
 * journals `budget.alert`, which the gateway's webhook service delivers — to a local HTTP receiver
 * that fails 3 times and still gets the event exactly once, signed so that the documented recipe
 * (examples/webhook-receiver.ts) verifies it — and dead-letters after N failed tries, with every
 * attempt in the delivery log. Another org's budget, workspace and webhooks are 404.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyMoeSignature } from '../../examples/webhook-receiver.js';
import type { DeliveryRecord, WebhookEndpoint } from '../../gateway/webhooks/index.js';
import { MoeError, type DeadLetter } from '../../schemas/index.js';
import {
  createLimiter,
  journalAlertSink,
  kvAlertIndex,
  openLimitsBucket,
} from '../../workspace-node/limits/index.js';
import { eventually } from '../harness/index.js';
import { call, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

interface Receiver {
  url: string;
  hits: { body: string; headers: IncomingHttpHeaders; status: number }[];
  close(): Promise<void>;
}

/** A local receiver answering 500 to its first `failures` requests, then 204. */
async function receiver(failures: number): Promise<Receiver> {
  const hits: Receiver['hits'] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const status = hits.length < failures ? 500 : 204;
      hits.push({ body, headers: req.headers, status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    hits,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

let stack: Stack;
const receivers: Receiver[] = [];

beforeAll(async () => {
  stack = await startStack({ gateway: { webhooks: { maxAttempts: 5, backoffMs: 100, timeoutMs: 3000 } } });
});

afterAll(async () => {
  for (const r of receivers) await r.close();
  await stack?.stop();
});

async function tenant(name: string) {
  const owner = await registerAndLogin(stack.gw, name);
  const org = (await call<{ id: string }>(stack.gw, owner.auth, 'POST', '/api/orgs', { name })).body.id;
  const ws = (
    await call<{ id: string }>(stack.gw, owner.auth, 'POST', '/api/workspaces', { org, name: 'main' })
  ).body.id;
  const project = (
    await call<{ id: string }>(stack.gw, owner.auth, 'POST', `/api/workspaces/${ws}/projects`, { name: 'p' })
  ).body.id;
  return { owner, org, ws, project };
}

describe('budget alerts as signed webhooks', () => {
  it('a receiver failing 3 times gets the alert once, verifiably signed; N failures dead-letter', async () => {
    const a = await tenant('alpha');
    const flaky = await receiver(3);
    const broken = await receiver(1000);
    receivers.push(flaky, broken);

    const put = await call(stack.gw, a.owner.auth, 'PUT', `/api/workspaces/${a.ws}/budget`, {
      limitMicros: 10_000,
      thresholds: [50, 100],
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ scope: 'workspace', budget: { limitMicros: 10_000, period: 'month' } });
    const created = await call<WebhookEndpoint>(
      stack.gw,
      a.owner.auth,
      'POST',
      `/api/orgs/${a.org}/webhooks`,
      {
        url: flaky.url,
      },
    );
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_/);
    const dead = await call<WebhookEndpoint>(stack.gw, a.owner.auth, 'POST', `/api/orgs/${a.org}/webhooks`, {
      url: broken.url,
    });
    const listed = await call<{ webhooks: Record<string, unknown>[] }>(
      stack.gw,
      a.owner.auth,
      'GET',
      `/api/orgs/${a.org}/webhooks`,
    );
    expect(listed.body.webhooks).toHaveLength(2);
    expect(listed.body.webhooks.every((w) => !('secret' in w))).toBe(true);

    // a node's limiter: 6 000 µ$ settled crosses 50 %; the next 6 000 is refused (workspace)
    const limitsKv = await openLimitsBucket(stack.nc);
    const limiter = createLimiter({
      kv: limitsKv,
      onAlert: journalAlertSink(jetstream(stack.nc)),
      alertIndex: kvAlertIndex(limitsKv, await jetstreamManager(stack.nc)),
    });
    const req = { org: a.org, ws: a.ws, project: a.project, provider: 'scripted', model: 'm', tokens: 1 };
    await (await limiter.reserve({ ...req, priceMicros: 7_000 })).settle({ tokens: 1, priceMicros: 6_000 });
    const refused = await limiter
      .reserve({ ...req, priceMicros: 6_000 })
      .catch((e: unknown) => e as MoeError);
    expect(refused).toBeInstanceOf(MoeError);
    expect((refused as MoeError).code).toBe('MOE_ERR_BUDGET_EXCEEDED');
    expect((refused as MoeError).details).toMatchObject({ scope: 'workspace', scopeId: a.ws });
    const read = await call(stack.gw, a.owner.auth, 'GET', `/api/workspaces/${a.ws}/budget`);
    expect(read.body).toMatchObject({ usedMicros: 6_000, alerted: [50] });

    await eventually(() => flaky.hits.some((h) => h.status === 204) || undefined, { timeoutMs: 20_000 });
    expect(flaky.hits.map((h) => h.status)).toEqual([500, 500, 500, 204]);
    const ok = flaky.hits[3]!;
    const event = JSON.parse(ok.body) as Record<string, unknown>;
    expect(event).toMatchObject({ type: 'budget.alert', org: a.org, scope: 'workspace', threshold: 50 });
    expect(ok.headers['moe-event-id']).toBe(event.id);
    const sig = ok.headers['moe-signature'] as string;
    expect(verifyMoeSignature(created.body.secret, sig, ok.body)).toBe(true);
    expect(verifyMoeSignature(created.body.secret, sig, ok.body.replace('50', '51'))).toBe(false);
    expect(verifyMoeSignature(dead.body.secret, sig, ok.body)).toBe(false);
    // replay window: the same signature 10 minutes later is refused
    const t = Number(/t=(\d+)/.exec(sig)?.[1]);
    expect(verifyMoeSignature(created.body.secret, sig, ok.body, 300, t + 600)).toBe(false);

    // the broken endpoint: 5 tries, then dead — in the log and in MOE_DLQ
    const log = async () =>
      (
        await call<{ deliveries: DeliveryRecord[] }>(
          stack.gw,
          a.owner.auth,
          'GET',
          `/api/orgs/${a.org}/webhooks/deliveries`,
        )
      ).body.deliveries;
    await eventually(
      async () => {
        const d = (await log()).find((x) => x.endpointId === dead.body.id);
        return d?.status === 'dead' || undefined;
      },
      { timeoutMs: 20_000 },
    );
    const deliveries = await log();
    const good = deliveries.find((x) => x.endpointId === created.body.id)!;
    expect(good.status).toBe('delivered');
    expect(good.attempts.map((x) => x.status)).toEqual([500, 500, 500, 204]);
    const bad = deliveries.find((x) => x.endpointId === dead.body.id)!;
    expect(bad.attempts).toHaveLength(5);
    expect(broken.hits).toHaveLength(5);
    // backoff: each wait at least the previous one (100, 200, 400, 800 ms)
    const gaps = bad.attempts.slice(1).map((x, i) => x.at - bad.attempts[i]!.at);
    expect(gaps[3]!).toBeGreaterThanOrEqual(700);
    const letters = await stack.gw.ctx.bus.jsm.streams.getMessage('MOE_DLQ', {
      last_by_subj: `moe.dlq.${a.org}._webhooks`,
    });
    expect(letters?.json<DeadLetter>().code).toBe('MOE_ERR_WEBHOOK_UNDELIVERABLE');

    // nothing more arrives: exactly once
    await new Promise((r) => setTimeout(r, 500));
    expect(flaky.hits.filter((h) => h.status === 204)).toHaveLength(1);
  }, 60_000);

  it("another org's budgets and webhooks are 404; a non-http URL is refused; project and org budgets are set", async () => {
    const a = await tenant('gamma');
    const b = await tenant('delta');
    for (const [method, url] of [
      ['GET', `/api/workspaces/${a.ws}/budget`],
      ['PUT', `/api/workspaces/${a.ws}/budget`],
      ['GET', `/api/projects/${a.project}/budget`],
      ['PUT', `/api/projects/${a.project}/budget`],
      ['GET', `/api/orgs/${a.org}/budget`],
      ['GET', `/api/orgs/${a.org}/webhooks`],
      ['POST', `/api/orgs/${a.org}/webhooks`],
      ['GET', `/api/orgs/${a.org}/webhooks/deliveries`],
    ] as const) {
      const body =
        method === 'PUT' ? { limitMicros: 1 } : method === 'POST' ? { url: 'http://x.test/' } : undefined;
      const res = await call(stack.gw, b.owner.auth, method, url, body);
      expect(res.status, `${method} ${url}`).toBe(404);
    }
    const bad = await call(stack.gw, a.owner.auth, 'POST', `/api/orgs/${a.org}/webhooks`, { url: 'ftp://x' });
    expect(bad.status).toBe(400);
    const p = await call(stack.gw, a.owner.auth, 'PUT', `/api/projects/${a.project}/budget`, {
      limitMicros: 5_000_000,
      period: 'day',
    });
    expect(p.body).toMatchObject({ scope: 'project', budget: { period: 'day', thresholds: [50, 80, 100] } });
    const o = await call(stack.gw, a.owner.auth, 'PUT', `/api/orgs/${a.org}/budget`, { limitMicros: 9 });
    expect(o.body).toMatchObject({ scope: 'org', usedMicros: 0 });
    const gone = await call(stack.gw, a.owner.auth, 'DELETE', `/api/projects/${a.project}/budget`);
    expect(gone.body).toMatchObject({ scope: 'project', budget: null });
    expect((await call(stack.gw, b.owner.auth, 'DELETE', `/api/orgs/${a.org}/budget`)).status).toBe(404);
  });
});
