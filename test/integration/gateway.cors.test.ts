/**
 * CORS (gateway/cors.ts): a page on a listed origin calls the API from a real headless Chromium
 * (preflighted requests with a bearer token, a JSON POST, an error it can read); a page on another
 * origin cannot; without `corsOrigins` a preflight finds no route. Then the headers themselves,
 * through `inject`: the preflight answer (no credentials, the allowed headers, max-age), the
 * exposed headers, `Vary: Origin`, and `*`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORS_MAX_AGE_S, startGateway, type StartedGateway } from '../../gateway/index.js';
import { launchBrowser } from './console.kit.js';
import { JWT_SECRET, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

/** An http server whose only page is blank: the origin a browser page runs on. */
async function pageServer(): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>page</title>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

let stack: Stack;
let live: StartedGateway;
let closed: StartedGateway;
let browser: Browser;
let allowed: Awaited<ReturnType<typeof pageServer>>;
let stranger: Awaited<ReturnType<typeof pageServer>>;
let token: string;

beforeAll(async () => {
  allowed = await pageServer();
  stranger = await pageServer();
  stack = await startStack({ gateway: { corsOrigins: [allowed.origin] } });
  const common = { nc: stack.nc, jwtSecret: JWT_SECRET, logger: false as const, port: 0, host: '127.0.0.1' };
  live = await startGateway({ ...common, corsOrigins: allowed.origin });
  closed = await startGateway({ ...common, corsOrigins: [] });
  token = (await registerAndLogin(stack.gw, 'cors')).token;
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await live?.close();
  await closed?.close();
  await stack?.stop();
  allowed?.server.close();
  stranger?.server.close();
});

interface Answer {
  ok: boolean;
  status?: number;
  body?: string;
  error?: string;
}

/** `fetch(url, init)` from a page on `origin`; a refused cross-origin call is `{ok: false, error}`. */
async function fetchFrom(origin: string, url: string, init: Record<string, unknown>): Promise<Answer> {
  const page = await browser.newPage();
  try {
    await page.goto(`${origin}/`);
    return await page.evaluate(
      async (u: string, i: Record<string, unknown>) => {
        try {
          const r = await fetch(u, i);
          return { ok: true, status: r.status, body: await r.text() };
        } catch (err) {
          return { ok: false, error: String(err) };
        }
      },
      url,
      init,
    );
  } finally {
    await page.close();
  }
}

describe('a browser page on another origin', () => {
  it('on a listed origin: reads with a bearer token, POSTs JSON, and reads a 401 with its code', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const me = await fetchFrom(allowed.origin, `${live.url}/auth/me`, { headers: auth });
    expect(me).toMatchObject({ ok: true, status: 200 });
    const created = await fetchFrom(allowed.origin, `${live.url}/api/orgs`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'From a page' }),
    });
    expect(created).toMatchObject({ ok: true, status: 201 });
    expect(JSON.parse(created.body!)).toMatchObject({ name: 'From a page' });
    const refused = await fetchFrom(allowed.origin, `${live.url}/api/orgs`, {
      headers: { authorization: 'Bearer not-a-token' },
    });
    expect(refused).toMatchObject({ ok: true, status: 401 });
    expect(JSON.parse(refused.body!).error.code).toBe('MOE_ERR_UNAUTHENTICATED');
  });

  it('on an origin not listed, or with CORS off, the browser refuses to hand over the answer', async () => {
    const init = { headers: { authorization: `Bearer ${token}` } };
    const stray = await fetchFrom(stranger.origin, `${live.url}/auth/me`, init);
    expect(stray.ok).toBe(false);
    expect(stray.error).toMatch(/TypeError/);
    const off = await fetchFrom(allowed.origin, `${closed.url}/auth/me`, init);
    expect(off.ok).toBe(false);
    // the same request from the gateway's own origin is fine: it was CORS, not the token
    expect(await fetchFrom(live.url, `${live.url}/auth/me`, init)).toMatchObject({ ok: true, status: 200 });
  });
});

describe('the headers', () => {
  const preflight = (origin: string) =>
    stack.gw.app.inject({
      method: 'OPTIONS',
      url: '/api/orgs',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });

  it('a preflight from a listed origin is answered before authentication, without credentials', async () => {
    const res = await preflight(allowed.origin);
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(allowed.origin);
    expect(String(res.headers['access-control-allow-headers'])).toMatch(/authorization.*content-type/);
    expect(String(res.headers['access-control-allow-methods'])).toContain('DELETE');
    expect(res.headers['access-control-max-age']).toBe(String(CORS_MAX_AGE_S));
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('an origin not listed gets no allow-origin, and answers to a listed one vary by Origin and expose retry-after', async () => {
    expect((await preflight(stranger.origin)).headers['access-control-allow-origin']).toBeUndefined();
    const res = await stack.gw.app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { origin: allowed.origin },
    });
    expect(res.headers['access-control-allow-origin']).toBe(allowed.origin);
    expect(String(res.headers.vary)).toMatch(/origin/i);
    expect(String(res.headers['access-control-expose-headers'])).toContain('retry-after');
  });

  it('with CORS off a preflight finds no route (404 with a code), and * allows any origin', async () => {
    const off = await closed.app.inject({
      method: 'OPTIONS',
      url: '/api/orgs',
      headers: { origin: allowed.origin, 'access-control-request-method': 'POST' },
    });
    expect(off.statusCode).toBe(404);
    expect(off.json().error.code).toBe('MOE_ERR_ROUTE_NOT_FOUND');
    expect(off.headers['access-control-allow-origin']).toBeUndefined();
    const any = await startGateway({
      nc: stack.nc,
      jwtSecret: JWT_SECRET,
      logger: false,
      port: 0,
      host: '127.0.0.1',
      corsOrigins: '*',
    });
    try {
      const res = await any.app.inject({
        method: 'GET',
        url: '/healthz',
        headers: { origin: stranger.origin },
      });
      expect(res.headers['access-control-allow-origin']).toBe('*');
    } finally {
      await any.close();
    }
  });
});
