/**
 * Rate limits live in JetStream KV: two gateway replicas share one budget per API key, per user and
 * per org — the org budget is charged by API keys and by logged-in users alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, type Gateway } from '../../gateway/index.js';
import { call, JWT_SECRET, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

let stack: Stack;
let second: Gateway;
const limits = {
  perApiKey: { limit: 6, windowMs: 60_000 },
  perOrg: { limit: 10, windowMs: 60_000 },
  perUser: { limit: 1000, windowMs: 60_000 },
};

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

  it('two users of one org on two gateway instances share the org limit, and other orgs are not charged', async () => {
    const owner = await registerAndLogin(stack.gw, 'orgrl');
    const member = await registerAndLogin(stack.gw, 'orgrl-member');
    const org = (await call<{ id: string }>(stack.gw, owner.auth, 'POST', '/api/orgs', { name: 'ORL' })).body
      .id;
    const other = (await call<{ id: string }>(stack.gw, owner.auth, 'POST', '/api/orgs', { name: 'ORL2' }))
      .body.id;
    // charges the org once
    const added = await call(stack.gw, owner.auth, 'POST', `/api/orgs/${org}/members`, {
      email: member.email,
      role: 'member',
    });
    expect(added.status).toBe(201);
    for (let i = 0; i < 100 && !second.ctx.tenancy.orgs.get(org)?.members.has(member.id); i++)
      await new Promise((r) => setTimeout(r, 20));
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < 12; i++) {
      const gw = i % 2 === 0 ? stack.gw : second;
      const who = i % 3 === 0 ? owner : member;
      const res = await gw.app.inject({ method: 'GET', url: `/api/orgs/${org}`, headers: who.auth });
      statuses.push(res.statusCode);
      if (res.statusCode === 429) {
        retryAfter = res.headers['retry-after'];
        expect(res.json().error.code).toBe('MOE_ERR_RATE_LIMITED');
      }
    }
    expect(statuses.slice(0, 9)).toEqual(Array(9).fill(200));
    expect(statuses.slice(9)).toEqual([429, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    // the same users still reach their other org: only the exhausted org's budget is spent
    expect((await call(second, member.auth, 'GET', '/api/orgs')).status).toBe(200);
    expect((await call(stack.gw, owner.auth, 'GET', `/api/orgs/${other}`)).status).toBe(200);
  });
});
