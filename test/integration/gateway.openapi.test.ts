/**
 * The OpenAPI document served over HTTP describes how to authenticate: a bearer token (JWT or API
 * key) or the `x-api-key` header on every protected route, and nothing on the public ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

let stack: Stack;
let base: string;

beforeAll(async () => {
  stack = await startStack();
  base = await stack.gw.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await stack?.stop();
});

interface OpenApi {
  security: Record<string, string[]>[];
  components: { securitySchemes: Record<string, Record<string, string>> };
  paths: Record<string, Record<string, { security?: unknown[] }>>;
}

describe('OpenAPI security schemes', () => {
  it('the document offers the x-api-key header on protected routes, and the header works there', async () => {
    const doc = (await (await fetch(`${base}/docs/json`)).json()) as OpenApi;
    expect(doc.components.securitySchemes.apiKey).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'x-api-key',
    });
    expect(doc.security).toContainEqual({ apiKey: [] });
    expect(doc.security).toContainEqual({ bearer: [] });
    // a protected operation inherits both; public ones declare none
    expect(doc.paths['/api/orgs']?.get?.security).toBeUndefined();
    expect(doc.paths['/auth/login']?.post?.security).toEqual([]);

    const owner = await registerAndLogin(stack.gw, 'openapi');
    const org = (
      (await (
        await fetch(`${base}/api/orgs`, {
          method: 'POST',
          headers: { ...owner.auth, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'Doc' }),
        })
      ).json()) as { id: string }
    ).id;
    const created = (await (
      await fetch(`${base}/api/orgs/${org}/api-keys`, {
        method: 'POST',
        headers: { ...owner.auth, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'doc', role: 'viewer' }),
      })
    ).json()) as { key: string };
    const res = await fetch(`${base}/api/orgs/${org}`, { headers: { 'x-api-key': created.key } });
    expect(res.status).toBe(200);
  });
});
