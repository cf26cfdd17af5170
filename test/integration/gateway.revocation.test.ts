/**
 * Token revocation answered from memory with bounded staleness (gateway/revocations.ts): a logout
 * on one replica is refused by that replica at once and by another one within STALE_AFTER_MS (in
 * practice within one watch delivery), and a revocation cache whose watch stalls stops being used:
 * the gateway reads KV instead (fail closed) until a new watch has caught up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kvm } from '@nats-io/kv';
import { jetstreamManager } from '@nats-io/jetstream';
import { buildGateway, type Gateway } from '../../gateway/index.js';
import { openRevocations, STALE_AFTER_MS } from '../../gateway/revocations.js';
import { KV_BUCKETS } from '../../schemas/index.js';
import { eventually } from '../harness/index.js';
import { JWT_SECRET, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

let stack: Stack;
let second: Gateway;

beforeAll(async () => {
  stack = await startStack({ node: true });
  second = await buildGateway({ nc: stack.nc, jwtSecret: JWT_SECRET, logger: false });
});
afterAll(async () => {
  await second?.close();
  await stack?.stop();
});

const me = (gw: Gateway, auth: Record<string, string>) =>
  gw.app.inject({ method: 'GET', url: '/auth/me', headers: auth }).then((r) => r.statusCode);

/** How long after `since` the replica first refuses the token (polled). */
async function refusedAfter(gw: Gateway, auth: Record<string, string>, since: number): Promise<number> {
  return eventually(async () => ((await me(gw, auth)) === 401 ? performance.now() - since : undefined));
}

const jtiOf = (token: string): string =>
  (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti;

describe('token revocation', () => {
  it('a logout is refused by its replica at once and by another replica within the bound', async () => {
    const u = await registerAndLogin(stack.gw, 'revoke');
    expect(await me(second, u.auth)).toBe(200);
    expect(second.ctx.revocations.fresh).toBe(true);
    const t0 = performance.now();
    const out = await stack.gw.app.inject({ method: 'POST', url: '/auth/logout', headers: u.auth });
    expect(out.statusCode).toBe(204);
    expect(await me(stack.gw, u.auth)).toBe(401);
    expect(await refusedAfter(second, u.auth, t0)).toBeLessThan(STALE_AFTER_MS);
    // another user's token is untouched
    const other = await registerAndLogin(stack.gw, 'keep');
    expect(await me(second, other.auth)).toBe(200);
  });

  it('a revocation stored by any writer of the bucket is honoured within the bound', async () => {
    const u = await registerAndLogin(stack.gw, 'direct');
    expect(await me(second, u.auth)).toBe(200);
    const kv = await new Kvm(stack.nc).open(KV_BUCKETS.gatewayRevoked);
    const t0 = performance.now();
    await kv.put(jtiOf(u.token), String(Math.floor(Date.now() / 1000) + 3600));
    // each replica learns it through its own watch: both within the bound, not at the same instant
    expect(await refusedAfter(second, u.auth, t0)).toBeLessThan(STALE_AFTER_MS);
    expect(await refusedAfter(stack.gw, u.auth, t0)).toBeLessThan(STALE_AFTER_MS);
  });

  it('a revocation made while the watch lost its consumer on the server is refused within the bound', async () => {
    const u = await registerAndLogin(stack.gw, 'lost');
    expect(await me(second, u.auth)).toBe(200);
    const jsm = await jetstreamManager(stack.nc);
    const stream = `KV_${KV_BUCKETS.gatewayRevoked}`;
    for (const c of await jsm.consumers.list(stream).next()) await jsm.consumers.delete(stream, c.name);
    const t0 = performance.now();
    expect(
      (await stack.gw.app.inject({ method: 'POST', url: '/auth/logout', headers: u.auth })).statusCode,
    ).toBe(204);
    // either the watch recovered and delivered it, or the cache went stale and the check read KV
    expect(await refusedAfter(second, u.auth, t0)).toBeLessThan(STALE_AFTER_MS);
    await eventually(() => (second.ctx.revocations.fresh ? true : undefined));
  });

  it('a cache whose watch does not catch up is not used: every check reads KV (fail closed)', async () => {
    // a real watch that never sees the bucket's writes (not even its own probes): a stalled one
    const revocations = await openRevocations(stack.nc, 3600, silentLog(), 'nothing.matches');
    try {
      const kv = await new Kvm(stack.nc).open(KV_BUCKETS.gatewayRevoked);
      const jti = `stalled-${process.pid}-${Date.now()}`;
      expect(revocations.fresh).toBe(false);
      expect(await revocations.isRevoked(jti)).toBe(false);
      await kv.put(jti, String(Math.floor(Date.now() / 1000) + 3600));
      // refused at once: the check read KV, the watch never delivered it
      expect(await revocations.isRevoked(jti)).toBe(true);
      // still not trusted after the bound has passed and the watch was restarted
      await new Promise((r) => setTimeout(r, STALE_AFTER_MS + 600));
      expect(revocations.fresh).toBe(false);
      expect(await revocations.isRevoked(jti)).toBe(true);
      expect(await revocations.isRevoked(`${jti}-not`)).toBe(false);
    } finally {
      await revocations.stop();
    }
  });

  it('a fresh cache learns a revocation through its watch within the bound', async () => {
    // the contrast to the test above: with the watch live, checks are answered from memory
    const revocations = await openRevocations(stack.nc, 3600, silentLog());
    try {
      expect(revocations.fresh).toBe(true);
      const jti = `fresh-${process.pid}-${Date.now()}`;
      const kv = await new Kvm(stack.nc).open(KV_BUCKETS.gatewayRevoked);
      await kv.put(jti, String(Math.floor(Date.now() / 1000) + 3600));
      await eventually(async () => ((await revocations.isRevoked(jti)) ? true : undefined), {
        timeoutMs: STALE_AFTER_MS,
      });
    } finally {
      await revocations.stop();
    }
  });
});

function silentLog() {
  const noop = () => undefined;
  const l = { info: noop, warn: noop, error: noop, debug: noop, trace: noop, fatal: noop, child: () => l };
  return l as never;
}

describe('verification cache (server.ts: a verified token is remembered)', () => {
  it('a remembered token is refused once it expires, and a forged signature never matches it', async () => {
    const shortLived = await buildGateway({
      nc: stack.nc,
      jwtSecret: JWT_SECRET,
      logger: false,
      tokenTtlSec: 2,
    });
    try {
      const u = await registerAndLogin(shortLived, 'expiring');
      expect(await me(shortLived, u.auth)).toBe(200);
      expect(await me(shortLived, u.auth)).toBe(200); // answered from the cache
      const forged = `${u.token.slice(0, -2)}${u.token.endsWith('AA') ? 'BB' : 'AA'}`;
      expect(await me(shortLived, { authorization: `Bearer ${forged}` })).toBe(401);
      const exp = (JSON.parse(Buffer.from(u.token.split('.')[1]!, 'base64url').toString()) as { exp: number })
        .exp;
      await eventually(async () => ((await me(shortLived, u.auth)) === 401 ? true : undefined), {
        timeoutMs: 10_000,
        what: 'the expired token refused',
      });
      expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000);
    } finally {
      await shortLived.close();
    }
  });
});
