/**
 * Rate limits under bursts: two gateway replicas on one nats-server share each budget through
 * leased chunks, so parallel requests within the limit are never refused for contention, and the
 * cluster never accepts more than the limit per window, however the requests are spread.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, type Gateway } from '../../gateway/index.js';
import { createRateLimiter } from '../../gateway/rateLimit.js';
import { call, JWT_SECRET, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

let stack: Stack;
let second: Gateway;
const limits = {
  perApiKey: { limit: 100, windowMs: 60_000 },
  perOrg: { limit: 3000, windowMs: 60_000 },
  perUser: { limit: 100, windowMs: 60_000 },
  perIp: { limit: 10_000, windowMs: 60_000 },
};

beforeAll(async () => {
  stack = await startStack({ node: true, gateway: { rateLimits: limits } });
  second = await buildGateway({ nc: stack.nc, jwtSecret: JWT_SECRET, logger: false, rateLimits: limits });
});
afterAll(async () => {
  await second?.close();
  await stack?.stop();
});

async function burst(n: number, url: string, auth: (i: number) => Record<string, string>): Promise<number[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const gw = i % 2 === 0 ? stack.gw : second;
      const res = await gw.app.inject({ method: 'GET', url, headers: auth(i) });
      if (res.statusCode === 429) expect(res.json().error.code).toBe('MOE_ERR_RATE_LIMITED');
      return res.statusCode;
    }),
  );
}
const count = (statuses: number[], s: number) => statuses.filter((x) => x === s).length;

describe('rate limits under bursts', () => {
  it('a burst of exactly the limit from one user over two gateways gets no 429', async () => {
    const user = await registerAndLogin(stack.gw, 'burst');
    const statuses = await burst(100, '/auth/me', () => user.auth);
    expect(count(statuses, 429)).toBe(0);
    expect(count(statuses, 200)).toBe(100);
  });

  it('300 parallel requests over two gateways accept exactly the limit of 100 and refuse the rest', async () => {
    const user = await registerAndLogin(stack.gw, 'flood');
    const statuses = await burst(300, '/auth/me', () => user.auth);
    expect(count(statuses, 200)).toBe(100);
    expect(count(statuses, 429)).toBe(200);
  });

  it('many users of one org bursting at once do not refuse each other within the org limit', async () => {
    const owner = await registerAndLogin(stack.gw, 'orgburst');
    const org = (await call<{ id: string }>(stack.gw, owner.auth, 'POST', '/api/orgs', { name: 'OB' })).body
      .id;
    const users = [owner];
    for (let i = 0; i < 5; i++) {
      const u = await registerAndLogin(stack.gw, `orgburst-${i}`);
      await call(stack.gw, owner.auth, 'POST', `/api/orgs/${org}/members`, {
        email: u.email,
        role: 'viewer',
      });
      users.push(u);
    }
    for (let i = 0; i < 200 && !users.every((u) => second.ctx.tenancy.orgs.get(org)?.members.has(u.id)); i++)
      await new Promise((r) => setTimeout(r, 20));
    const statuses = await burst(6 * 80, `/api/orgs/${org}`, (i) => users[i % 6]!.auth);
    expect(count(statuses, 429)).toBe(0);
    expect(count(statuses, 200)).toBe(480);
  });

  it('two limiters on one bucket never hand out more than the limit in a window, and a new window starts afresh', async () => {
    const a = await createRateLimiter(stack.nc);
    const b = await createRateLimiter(stack.nc);
    const rule = { limit: 50, windowMs: 1000 };
    const t0 = 7_000_000_000_000; // a window of its own, far from the real clock
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        (i % 2 === 0 ? a : b).hit('test.shared', rule, t0 + (i % 10)).then(
          () => 'ok',
          () => 'limited',
        ),
      ),
    );
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(50);
    await expect(a.hit('test.shared', rule, t0 + 999)).rejects.toMatchObject({
      code: 'MOE_ERR_RATE_LIMITED',
    });
    await expect(b.hit('test.shared', rule, t0 + 1000)).resolves.toMatchObject({ resetMs: 1000 });
  });
});
