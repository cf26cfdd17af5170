/** Health, readiness (NATS + JetStream), metrics and the generated OpenAPI document. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './gateway.fixture.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ node: false });
});
afterAll(async () => {
  await stack?.stop();
});

describe('health and docs', () => {
  it('healthz and readyz answer 200 while NATS and JetStream are reachable', async () => {
    expect((await stack.gw.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const ready = await stack.gw.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().jetstream).toBe('ok');
  });

  it('the OpenAPI 3 document lists the route families with their schemas', async () => {
    const doc = (await stack.gw.app.inject({ method: 'GET', url: '/docs/json' })).json<{
      openapi: string;
      paths: Record<string, unknown>;
    }>();
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of [
      '/auth/login',
      '/api/workspaces',
      '/api/projects/{id}/tasks',
      '/api/sessions/{id}',
      '/api/usage',
    ]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
  });

  it('a route without credentials is 401 with a code, and metrics count the error', async () => {
    const res = await stack.gw.app.inject({ method: 'GET', url: '/api/workspaces' });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('MOE_ERR_UNAUTHENTICATED');
    const metrics = await stack.gw.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain(
      'moe_http_errors_total{route="/api/workspaces",code="MOE_ERR_UNAUTHENTICATED"}',
    );
  });

  it('readyz answers 503 with a code when NATS is gone', async () => {
    await stack.ns.kill();
    const res = await stack.gw.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toMatch(/^MOE_ERR_(NATS_UNAVAILABLE|NOT_READY)$/);
    await stack.ns.restart();
  });
});
