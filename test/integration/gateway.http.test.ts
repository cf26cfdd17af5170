/**
 * Small HTTP rules every route keeps: authentication before body validation, a JSON body's types
 * taken as sent (no coercion; the query string still is), an empty body with a JSON content type
 * read as no body, `nosniff` and
 * `no-store` on every answer, Idempotency-Key scoped by the org a request is about, and `/metrics`
 * that shows platform-wide usage and money only to the operator's token.
 */
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, METRICS_TOKEN, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

let stack: Stack;
let auth: { authorization: string };
let orgA: string;
let orgX: string;

beforeAll(async () => {
  stack = await startStack();
  auth = (await registerAndLogin(stack.gw, 'http')).auth;
  orgA = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/orgs', { name: 'A' })).body.id;
  orgX = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/orgs', { name: 'X' })).body.id;
});
afterAll(async () => {
  await stack?.stop();
});

const inject = (o: InjectOptions) => stack.gw.app.inject(o);

describe('HTTP rules', () => {
  it('an anonymous request with a malformed or invalid body is 401, not 400', async () => {
    const bodies = ['{"org": ', '{"nope": true}', '[]'];
    for (const payload of bodies) {
      const res = await inject({
        method: 'POST',
        url: '/api/workspaces',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('MOE_ERR_UNAUTHENTICATED');
    }
    const bad = await inject({
      method: 'POST',
      url: '/api/projects/p0/tasks',
      headers: { 'content-type': 'application/json', authorization: 'Bearer forged' },
      payload: '{"prompt": 5}',
    });
    expect(bad.statusCode).toBe(401);
    // an authenticated caller still gets the validation error
    const valid = await inject({
      method: 'POST',
      url: '/api/workspaces',
      headers: auth,
      payload: { nope: 1 },
    });
    expect(valid.statusCode).toBe(400);
    expect(valid.json().error.code).toBe('MOE_ERR_VALIDATION');
  });

  it('a body field of the wrong JSON type is 400 MOE_ERR_VALIDATION, not coerced', async () => {
    const orgT = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/orgs', { name: 'T' })).body.id;
    const wrong = [
      { name: 5, org: orgT },
      { name: 'w', org: orgT, description: true },
      { name: ['w'], org: orgT },
    ];
    for (const payload of wrong) {
      const res = await inject({ method: 'POST', url: '/api/workspaces', headers: auth, payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().error.code).toBe('MOE_ERR_VALIDATION');
      expect(res.json().error.message).toMatch(/must be (string|integer)/);
    }
    // the same route with the types right creates the workspace
    const ok = await inject({
      method: 'POST',
      url: '/api/workspaces',
      headers: auth,
      payload: { name: 'typed', org: orgT },
    });
    expect(ok.statusCode).toBe(201);
    // (query strings are text on the wire and stay coerced: gateway.messages pages with ?cursor=&limit=)
    // a value outside a set of choices names the choices, once
    const choice = await inject({
      method: 'GET',
      url: `/api/usage?org=${orgT}&groupBy=bogus`,
      headers: auth,
    });
    expect(choice.statusCode).toBe(400);
    expect(choice.json().error.message).toMatch(/querystring\/groupBy must be one of: [a-z]+(, [a-z]+)+$/);
  });

  it('an empty body sent as application/json is no body; whitespace alone is malformed JSON', async () => {
    const json = { 'content-type': 'application/json' };
    const me = await registerAndLogin(stack.gw, 'emptybody');
    const blank = await inject({
      method: 'POST',
      url: '/auth/logout',
      headers: { ...me.auth, ...json, 'content-type': 'application/json; charset=utf-8' },
      payload: '   ',
    });
    expect(blank.statusCode).toBe(400);
    expect(blank.json().error.code).toBe('MOE_ERR_MALFORMED_JSON');
    const out = await inject({
      method: 'POST',
      url: '/auth/logout',
      headers: { ...me.auth, ...json },
      payload: '',
    });
    expect(out.statusCode).toBe(204);
    const after = await inject({ method: 'GET', url: '/api/orgs', headers: me.auth });
    expect(after.statusCode).toBe(401);
    // a route with a required field still says which one is missing
    const org = await inject({
      method: 'POST',
      url: '/api/orgs',
      headers: { ...auth, ...json },
      payload: '',
    });
    expect(org.statusCode).toBe(400);
    expect(org.json().error.code).toBe('MOE_ERR_VALIDATION');
  });

  it('every answer carries x-content-type-options nosniff and cache-control no-store', async () => {
    const answers = await Promise.all([
      inject({ method: 'GET', url: '/api/orgs', headers: auth }),
      inject({ method: 'GET', url: '/api/orgs' }),
      inject({ method: 'GET', url: '/api/nowhere', headers: auth }),
      inject({ method: 'GET', url: '/healthz' }),
      inject({ method: 'POST', url: '/api/workspaces', headers: auth, payload: { org: orgA } }),
    ]);
    expect(answers.map((a) => a.statusCode)).toEqual([200, 401, 404, 200, 400]);
    for (const a of answers) {
      expect(a.headers['x-content-type-options']).toBe('nosniff');
      expect(a.headers['cache-control']).toBe('no-store');
    }
  });

  it('one Idempotency-Key sent for two orgs creates a workspace in each, each in its own org', async () => {
    const post = async (org: string) => {
      const res = await inject({
        method: 'POST',
        url: '/api/workspaces',
        headers: { ...auth, 'idempotency-key': 'same-key' },
        payload: { org, name: `ws of ${org}` },
      });
      expect(res.statusCode).toBe(201);
      return res.json<{ id: string; org: string }>();
    };
    const a = await post(orgA);
    const x = await post(orgX);
    expect(x.id).not.toBe(a.id);
    expect(x.org).toBe(orgX);
    expect(await post(orgA)).toEqual(a);
    const listOf = async (org: string) =>
      (
        await call<{ workspaces: { id: string }[] }>(stack.gw, auth, 'GET', `/api/workspaces?org=${org}`)
      ).body.workspaces.map((w) => w.id);
    expect(await listOf(orgX)).toEqual([x.id]);
    expect(await listOf(orgA)).toEqual([a.id]);
  });

  it('/metrics shows process metrics to anyone and platform usage and money only to the operator token', async () => {
    const platform = /moe_customer_price_micros_total|moe_provider_cost_micros_total|moe_agent_tokens_total/;
    const anonymous = await inject({ method: 'GET', url: '/metrics' });
    expect(anonymous.statusCode).toBe(200);
    expect(anonymous.body).toContain('moe_gateway_process_cpu_seconds_total');
    expect(anonymous.body).toContain('moe_http_request_duration_seconds');
    expect(anonymous.body).not.toMatch(platform);
    const tenant = await inject({ method: 'GET', url: '/metrics', headers: auth });
    expect(tenant.body).not.toMatch(platform);
    const operator = await inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(operator.body).toContain('# TYPE moe_customer_price_micros_total counter');
    expect(operator.body).toContain('moe_gateway_process_cpu_seconds_total');
  });
});
