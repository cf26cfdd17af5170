/** Tenancy through the REST API on a real workspace-node: orgs, members, roles, teams, projects, keys. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('tenancy', () => {
  it('a registered user logs in, creates an org and is its owner', async () => {
    const alice = await registerAndLogin(stack.gw, 'alice');
    const created = await call<{ id: string; role: string }>(stack.gw, alice.auth, 'POST', '/api/orgs', {
      name: 'Acme',
    });
    expect(created.status).toBe(201);
    expect(created.body.role).toBe('owner');
    const me = await call<{ orgs: { id: string; role: string }[] }>(stack.gw, alice.auth, 'GET', '/auth/me');
    expect(me.body.orgs).toEqual([{ id: created.body.id, name: 'Acme', role: 'owner' }]);
  });

  it('registering an email twice answers 409 with MOE_ERR_EMAIL_TAKEN', async () => {
    const payload = { email: 'twice@example.com', password: 'long enough pw', name: 'Twice' };
    const first = await stack.gw.app.inject({ method: 'POST', url: '/auth/register', payload });
    const second = await stack.gw.app.inject({ method: 'POST', url: '/auth/register', payload });
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(409);
    expect(second.json().error.code).toBe('MOE_ERR_EMAIL_TAKEN');
  });

  it('a wrong password is 401 and a logged-out token no longer works', async () => {
    const bob = await registerAndLogin(stack.gw, 'bob');
    const bad = await stack.gw.app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email: bob.email, password: 'nope-nope' },
    });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().error.code).toBe('MOE_ERR_BAD_CREDENTIALS');
    expect((await call(stack.gw, bob.auth, 'POST', '/auth/logout')).status).toBe(204);
    const after = await call<{ error: { code: string } }>(stack.gw, bob.auth, 'GET', '/auth/me');
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('MOE_ERR_UNAUTHENTICATED');
  });

  it('members see only projects granted to them or their team; viewers cannot change them', async () => {
    const owner = await registerAndLogin(stack.gw, 'owner');
    const member = await registerAndLogin(stack.gw, 'member');
    const viewer = await registerAndLogin(stack.gw, 'viewer');
    const org = (await call<{ id: string }>(stack.gw, owner.auth, 'POST', '/api/orgs', { name: 'Org' })).body
      .id;
    expect(
      (
        await call(stack.gw, owner.auth, 'POST', `/api/orgs/${org}/members`, {
          email: member.email,
          role: 'member',
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await call(stack.gw, owner.auth, 'POST', `/api/orgs/${org}/members`, {
          email: viewer.email,
          role: 'viewer',
        })
      ).status,
    ).toBe(201);
    const ws = (
      await call<{ id: string }>(stack.gw, owner.auth, 'POST', '/api/workspaces', { org, name: 'main' })
    ).body.id;
    const project = (
      await call<{ id: string }>(stack.gw, owner.auth, 'POST', `/api/workspaces/${ws}/projects`, {
        name: 'p1',
      })
    ).body.id;

    expect((await call(stack.gw, member.auth, 'GET', `/api/projects/${project}`)).status).toBe(404);
    const team = (
      await call<{ id: string }>(stack.gw, owner.auth, 'POST', `/api/orgs/${org}/teams`, { name: 'devs' })
    ).body.id;
    expect(
      (await call(stack.gw, owner.auth, 'POST', `/api/teams/${team}/members`, { user: member.id })).status,
    ).toBe(201);
    expect((await call(stack.gw, owner.auth, 'PUT', `/api/projects/${project}/teams/${team}`)).status).toBe(
      200,
    );
    expect((await call(stack.gw, member.auth, 'GET', `/api/projects/${project}`)).status).toBe(200);
    expect(
      (await call(stack.gw, member.auth, 'PUT', `/api/projects/${project}`, { name: 'renamed' })).status,
    ).toBe(200);

    expect(
      (await call(stack.gw, owner.auth, 'PUT', `/api/projects/${project}/users/${viewer.id}`)).status,
    ).toBe(200);
    const denied = await call<{ error: { code: string } }>(
      stack.gw,
      viewer.auth,
      'PUT',
      `/api/projects/${project}`,
      { name: 'x' },
    );
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('MOE_ERR_FORBIDDEN');
    expect(
      (await call(stack.gw, member.auth, 'POST', `/api/orgs/${org}/teams`, { name: 'nope' })).status,
    ).toBe(403);
  });

  it('the last owner cannot be demoted or removed', async () => {
    const owner = await registerAndLogin(stack.gw, 'solo');
    const org = (await call<{ id: string }>(stack.gw, owner.auth, 'POST', '/api/orgs', { name: 'Solo' })).body
      .id;
    const demote = await call<{ error: { code: string } }>(
      stack.gw,
      owner.auth,
      'PUT',
      `/api/orgs/${org}/members/${owner.id}`,
      { role: 'admin' },
    );
    expect(demote.status).toBe(409);
    expect(demote.body.error.code).toBe('MOE_ERR_CONFLICT');
  });

  it('an API key works until revoked, is scoped to its project, and records its last use', async () => {
    const owner = await registerAndLogin(stack.gw, 'keys');
    const org = (await call<{ id: string }>(stack.gw, owner.auth, 'POST', '/api/orgs', { name: 'Keys' })).body
      .id;
    const ws = (
      await call<{ id: string }>(stack.gw, owner.auth, 'POST', '/api/workspaces', { org, name: 'w' })
    ).body.id;
    const p1 = (
      await call<{ id: string }>(stack.gw, owner.auth, 'POST', `/api/workspaces/${ws}/projects`, {
        name: 'p1',
      })
    ).body.id;
    const p2 = (
      await call<{ id: string }>(stack.gw, owner.auth, 'POST', `/api/workspaces/${ws}/projects`, {
        name: 'p2',
      })
    ).body.id;
    const created = await call<{ id: string; key: string }>(
      stack.gw,
      owner.auth,
      'POST',
      `/api/orgs/${org}/api-keys`,
      {
        name: 'ci',
        role: 'member',
        project: p1,
      },
    );
    expect(created.status).toBe(201);
    const keyAuth = { authorization: `Bearer ${created.body.key}` };
    expect((await call(stack.gw, keyAuth, 'GET', `/api/projects/${p1}`)).status).toBe(200);
    expect((await call(stack.gw, keyAuth, 'GET', `/api/projects/${p2}`)).status).toBe(404);
    expect((await call(stack.gw, keyAuth, 'GET', `/api/orgs/${org}/api-keys`)).status).toBe(403);

    const listed = await call<{ apiKeys: { id: string; lastUsedAt: number | null; key?: string }[] }>(
      stack.gw,
      owner.auth,
      'GET',
      `/api/orgs/${org}/api-keys`,
    );
    expect(listed.body.apiKeys[0]?.key).toBeUndefined();
    const used = await (async () => {
      for (let i = 0; i < 100; i++) {
        const l = await call<{ apiKeys: { lastUsedAt: number | null }[] }>(
          stack.gw,
          owner.auth,
          'GET',
          `/api/orgs/${org}/api-keys`,
        );
        if (l.body.apiKeys[0]?.lastUsedAt) return l.body.apiKeys[0].lastUsedAt;
        await new Promise((r) => setTimeout(r, 50));
      }
      return null;
    })();
    expect(used).toBeGreaterThan(0);

    expect((await call(stack.gw, owner.auth, 'DELETE', `/api/api-keys/${created.body.id}`)).status).toBe(204);
    expect((await call(stack.gw, keyAuth, 'GET', `/api/projects/${p1}`)).status).toBe(401);
  });
});
