/** Rate limits live in JetStream KV: two gateway replicas share one budget per API key and per org. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, type Gateway } from '../../gateway/index.js';
import { call, JWT_SECRET, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

let stack: Stack;
let second: Gateway;
const limits = { perApiKey: { limit: 6, windowMs: 60_000 }, perOrg: { limit: 1000, windowMs: 60_000 } };

beforeAll(async () => {
  stack = await startStack({ gateway: { rateLimits: limits } });
  second = await buildGateway({ nc: stack.nc, jwtSecret: JWT_SECRET, logger: false, rateLimits: limits });
});
afterAll(async () => {
  await second?.close();
  await stack?.stop();
});

describe('rate limits', () => {
  it('two gateway instances share one per-key limit and answer 429 with retry-after', async () => {
    const owner = await registerAndLogin(stack.gw, 'rl');
    const org = (await call<{ id: string }>(stack.gw, owner.auth, 'POST', '/api/orgs', { name: 'RL' })).body
      .id;
    const key = (
      await call<{ key: string }>(stack.gw, owner.auth, 'POST', `/api/orgs/${org}/api-keys`, { name: 'k' })
    ).body.key;
    // the second replica learns about the key from the journal
    for (let i = 0; i < 100 && !second.ctx.tenancy.apiKeys.size; i++)
      await new Promise((r) => setTimeout(r, 20));
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < 8; i++) {
      const gw = i % 2 === 0 ? stack.gw : second;
      const res = await gw.app.inject({
        method: 'GET',
        url: `/api/orgs/${org}`,
        headers: { 'x-api-key': key },
      });
      statuses.push(res.statusCode);
      if (res.statusCode === 429) {
        retryAfter = res.headers['retry-after'];
        expect(res.json().error.code).toBe('MOE_ERR_RATE_LIMITED');
      }
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(6);
    expect(statuses.slice(6)).toEqual([429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });
});
