/**
 * The `platform-operator` role of an API key, on a real nats-server, node and gateway: a platform
 * operator (bootstrapped by `MOE_OPERATORS`) creates a key with that role, which is then an
 * operator in the console (every org) without any env config, and may itself grant the role; an
 * org admin who is not an operator is refused (403 MOE_ERR_OPERATOR_ROLE_REQUIRED); revoking the
 * key ends its access.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Overview } from '../../gateway/console/index.js';
import { call, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

const OPERATOR_EMAIL = `root-operator-${process.pid}@example.com`;
let stack: Stack;
let operator: { authorization: string };

beforeAll(async () => {
  stack = await startStack({ gateway: { operators: [OPERATOR_EMAIL] } });
  const password = 'correct horse battery';
  const reg = await stack.gw.app.inject({
    method: 'POST',
    url: '/auth/register',
    payload: { email: OPERATOR_EMAIL, password, name: 'root' },
  });
  expect(reg.statusCode).toBe(201);
  const login = await stack.gw.app.inject({
    method: 'POST',
    url: '/auth/login',
    payload: { email: OPERATOR_EMAIL, password },
  });
  operator = { authorization: `Bearer ${login.json<{ token: string }>().token}` };
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

const consoleOverview = (auth: Record<string, string>) =>
  stack.gw.app.inject({ method: 'GET', url: '/console/api/overview', headers: auth });

interface Key {
  id: string;
  key: string;
  role: string;
}

describe('API keys with the platform-operator role', () => {
  it('an operator creates an operator key that sees every org in the console; an org admin cannot; revoking ends it', async () => {
    // two orgs: the operator's own, and someone else's it is not a member of
    const opOrg = (await call<{ id: string }>(stack.gw, operator, 'POST', '/api/orgs', { name: 'Ops' })).body
      .id;
    const owner = await registerAndLogin(stack.gw, 'opkey-owner');
    const other = (
      await call<{ id: string }>(stack.gw, owner.auth, 'POST', '/api/orgs', { name: 'Elsewhere' })
    ).body.id;

    const created = await call<Key>(stack.gw, operator, 'POST', `/api/orgs/${opOrg}/api-keys`, {
      name: 'monitoring',
      role: 'platform-operator',
    });
    expect(created.status).toBe(201);
    expect(created.body.role).toBe('platform-operator');
    const opKey = { 'x-api-key': created.body.key };

    // an operator in the console with no env config: operator, and sees the org it is not in
    const seen = await consoleOverview(opKey);
    expect(seen.statusCode).toBe(200);
    const o = seen.json<Overview>();
    expect(o.viewer.operator).toBe(true);
    expect(o.viewer.orgs.map((x) => x.org)).toEqual(expect.arrayContaining([opOrg, other]));
    // the same holds for an ordinary key of the same creator: it is no operator
    const plain = await call<Key>(stack.gw, operator, 'POST', `/api/orgs/${opOrg}/api-keys`, {
      name: 'plain',
      role: 'admin',
    });
    const plainSeen = (await consoleOverview({ 'x-api-key': plain.body.key })).json<Overview>();
    expect(plainSeen.viewer.operator).toBe(false);
    expect(plainSeen.viewer.orgs.map((x) => x.org)).not.toContain(other);

    // an operator key may grant the role in turn (it is an admin of its org)
    const chained = await call<Key>(stack.gw, opKey, 'POST', `/api/orgs/${opOrg}/api-keys`, {
      name: 'chained',
      role: 'platform-operator',
    });
    expect(chained.status).toBe(201);

    // an org admin who is not an operator is refused with a stable code; so is the plain key
    const refused = await call<{ error: { code: string } }>(
      stack.gw,
      owner.auth,
      'POST',
      `/api/orgs/${other}/api-keys`,
      {
        name: 'sneaky',
        role: 'platform-operator',
      },
    );
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('MOE_ERR_OPERATOR_ROLE_REQUIRED');
    const byPlain = await call<{ error: { code: string } }>(
      stack.gw,
      { 'x-api-key': plain.body.key },
      'POST',
      `/api/orgs/${opOrg}/api-keys`,
      { name: 'sneaky2', role: 'platform-operator' },
    );
    expect(byPlain.status).toBe(403);
    expect(byPlain.body.error.code).toBe('MOE_ERR_OPERATOR_ROLE_REQUIRED');
    // the owner's ordinary keys are unaffected
    expect(
      (await call(stack.gw, owner.auth, 'POST', `/api/orgs/${other}/api-keys`, { name: 'ok', role: 'admin' }))
        .status,
    ).toBe(201);

    // revoking the key removes its access to the console
    const revoked = await call(stack.gw, operator, 'DELETE', `/api/api-keys/${created.body.id}`);
    expect(revoked.status).toBe(204);
    expect((await consoleOverview(opKey)).statusCode).toBe(401);
    // the chained key is a key of its own: it stays until revoked
    expect((await consoleOverview({ 'x-api-key': chained.body.key })).json<Overview>().viewer.operator).toBe(
      true,
    );
  });
});
