/**
 * A NATS outage seen by a gateway with its own connection: during it, routes answer a retryable
 * 503 `MOE_ERR_NATS_UNAVAILABLE` with `retry-after` (not 500); the connection reconnects however
 * long the outage lasts, so requests succeed again once the server is back; and a connection that
 * did give up (closed) turns `/healthz` to 503 so an orchestrator restarts the process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, type Gateway } from '../../gateway/index.js';
import { eventually } from '../harness/index.js';
import { call, JWT_SECRET, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

let stack: Stack;
let gw: Gateway;
let auth: { authorization: string };
let project: string;

beforeAll(async () => {
  stack = await startStack();
  // its own connection with the default reconnect policy, retrying every 100 ms: ten attempts (the
  // client's default budget) are over after about a second
  gw = await buildGateway({
    natsUrl: stack.ns.url,
    jwtSecret: JWT_SECRET,
    logger: false,
    natsConnectOptions: { reconnectTimeWait: 100 },
  });
  auth = (await registerAndLogin(stack.gw, 'outage')).auth;
  const org = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/orgs', { name: 'O' })).body.id;
  const ws = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/workspaces', { org, name: 'w' })).body
    .id;
  project = (
    await call<{ id: string }>(stack.gw, auth, 'POST', `/api/workspaces/${ws}/projects`, { name: 'p' })
  ).body.id;
  await eventually(() => (gw.ctx.tenancy.projects.has(project) ? true : undefined));
});
afterAll(async () => {
  await gw?.close();
  await stack?.stop();
});

const listTasks = () =>
  gw.app.inject({ method: 'GET', url: `/api/projects/${project}/tasks`, headers: auth });

describe('a NATS outage', () => {
  it('answers 503 with a code and retry-after while NATS is down, and recovers after it', async () => {
    expect((await listTasks()).statusCode).toBe(200);
    await stack.ns.kill();
    const during = await eventually(async () => {
      const res = await listTasks();
      return res.statusCode !== 200 ? res : undefined;
    });
    expect(during.statusCode).toBe(503);
    expect(during.json().error.code).toBe('MOE_ERR_NATS_UNAVAILABLE');
    expect(Number(during.headers['retry-after'])).toBeGreaterThan(0);
    expect((await gw.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    // down for longer than the client's default reconnect budget (10 × reconnectTimeWait)
    await new Promise((r) => setTimeout(r, 2500));
    expect(gw.ctx.bus.nc.isClosed()).toBe(false);
    await stack.ns.restart();
    const after = await eventually(async () => {
      const res = await listTasks();
      return res.statusCode === 200 ? res : undefined;
    });
    expect(after.json().tasks).toEqual([]);
    expect((await gw.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('a connection that gave up makes /healthz answer 503 with a code', async () => {
    const fragile = await buildGateway({
      natsUrl: stack.ns.url,
      jwtSecret: JWT_SECRET,
      logger: false,
      natsConnectOptions: { maxReconnectAttempts: 1, reconnectTimeWait: 50 },
    });
    try {
      expect((await fragile.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      await stack.ns.kill();
      const res = await eventually(async () => {
        const r = await fragile.app.inject({ method: 'GET', url: '/healthz' });
        return r.statusCode !== 200 ? r : undefined;
      });
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe('MOE_ERR_NATS_UNAVAILABLE');
      const route = await fragile.app.inject({
        method: 'GET',
        url: `/api/projects/${project}/tasks`,
        headers: auth,
      });
      expect(route.statusCode).toBe(503);
      expect(route.json().error.code).toBe('MOE_ERR_NATS_UNAVAILABLE');
    } finally {
      await stack.ns.restart();
      await fragile.close().catch(() => undefined);
    }
  });
});
