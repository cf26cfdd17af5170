/**
 * An API key acts for the user who created it and never outgrows them: over real HTTP against a
 * real nats-server, a key whose creator was removed from the org is refused (401) and cannot
 * re-add its creator; a key whose creator was demoted is capped at the creator's new role; and an
 * org-wide key sees the projects its creator sees, like a user of the same role and grants.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

let stack: Stack;
let base: string;
let owner: Awaited<ReturnType<typeof registerAndLogin>>;

beforeAll(async () => {
  stack = await startStack();
  base = await stack.gw.app.listen({ port: 0, host: '127.0.0.1' });
  owner = await registerAndLogin(stack.gw, 'keyowner');
});
afterAll(async () => {
  await stack?.stop();
});

async function http<T = Record<string, unknown>>(
  auth: Record<string, string>,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/** An org of `owner` with `user` as admin, and an org-wide key of that admin with `keyRole`. */
async function orgWithAdminKey(name: string, keyRole: 'admin' | 'viewer' = 'admin') {
  const admin = await registerAndLogin(stack.gw, `${name}-admin`);
  const org = (await http<{ id: string }>(owner.auth, 'POST', '/api/orgs', { name })).body.id;
  const added = await http(owner.auth, 'POST', `/api/orgs/${org}/members`, {
    email: admin.email,
    role: 'admin',
  });
  expect(added.status).toBe(201);
  const created = await http<{ key: string }>(admin.auth, 'POST', `/api/orgs/${org}/api-keys`, {
    name: 'ci',
    role: keyRole,
  });
  expect(created.status).toBe(201);
  return { admin, org, key: { 'x-api-key': created.body.key } };
}

const roleOf = async (org: string, user: string) =>
  (
    await http<{ members: { user: string; role: string }[] }>(owner.auth, 'GET', `/api/orgs/${org}/members`)
  ).body.members.find((m) => m.user === user)?.role;

describe('API keys act for their creator', () => {
  it('a key whose creator was removed from the org is refused with 401 and cannot re-add its creator', async () => {
    const { admin, org, key } = await orgWithAdminKey('Removed');
    expect((await http(key, 'GET', `/api/orgs/${org}/members`)).status).toBe(200);

    expect((await http(owner.auth, 'DELETE', `/api/orgs/${org}/members/${admin.id}`)).status).toBe(204);

    const list = await http<{ error: { code: string } }>(key, 'GET', `/api/orgs/${org}/members`);
    expect(list.status).toBe(401);
    expect(list.body.error.code).toBe('MOE_ERR_UNAUTHENTICATED');
    const readd = await http(key, 'POST', `/api/orgs/${org}/members`, { email: admin.email, role: 'admin' });
    expect(readd.status).toBe(401);
    expect(await roleOf(org, admin.id)).toBeUndefined();
  });

  it('a key whose creator was demoted to viewer can read but can no longer do admin things', async () => {
    const { admin, org, key } = await orgWithAdminKey('Demoted');
    const demoted = await http(owner.auth, 'PUT', `/api/orgs/${org}/members/${admin.id}`, { role: 'viewer' });
    expect(demoted.status).toBe(200);

    expect((await http(key, 'GET', `/api/orgs/${org}/members`)).status).toBe(200);
    const me = await http<{ apiKey: { role: string } }>(key, 'GET', '/auth/me');
    expect(me.body.apiKey.role).toBe('viewer');
    const promote = await http(key, 'PUT', `/api/orgs/${org}/members/${admin.id}`, { role: 'admin' });
    expect(promote.status).toBe(403);
    expect((await http(key, 'POST', `/api/orgs/${org}/api-keys`, { name: 'more' })).status).toBe(403);
    expect((await http(key, 'POST', '/api/workspaces', { org, name: 'w' })).status).toBe(403);
    expect(await roleOf(org, admin.id)).toBe('viewer');
  });

  it("an org-wide viewer key sees the projects its creator sees, the same as a viewer user's grants", async () => {
    const { admin, org, key } = await orgWithAdminKey('Visible', 'viewer');
    const viewer = await registerAndLogin(stack.gw, 'visible-viewer');
    await http(owner.auth, 'POST', `/api/orgs/${org}/members`, { email: viewer.email, role: 'viewer' });
    const ws = (await http<{ id: string }>(owner.auth, 'POST', '/api/workspaces', { org, name: 'w' })).body
      .id;
    const projects: string[] = [];
    for (const name of ['p1', 'p2']) {
      const p = (await http<{ id: string }>(owner.auth, 'POST', `/api/workspaces/${ws}/projects`, { name }))
        .body.id;
      const cfg = await http(owner.auth, 'PUT', `/api/projects/${p}/agent-config`, {
        agents: [{ name: `agent-${name}` }],
      });
      expect(cfg.status).toBe(200);
      projects.push(p);
    }
    const agentsOf = async (auth: Record<string, string>) =>
      (await http<{ agents: { name: string }[] }>(auth, 'GET', '/api/agents')).body.agents
        .map((a) => a.name)
        .sort();

    // the key's creator is an admin: it sees every project, as the admin does; a viewer user sees its grants
    expect(await agentsOf(key)).toEqual(['agent-p1', 'agent-p2']);
    expect(await agentsOf(viewer.auth)).toEqual([]);

    // creator demoted to viewer and granted p1, like the viewer user: both see exactly p1
    await http(owner.auth, 'PUT', `/api/orgs/${org}/members/${admin.id}`, { role: 'viewer' });
    for (const u of [admin.id, viewer.id])
      expect((await http(owner.auth, 'PUT', `/api/projects/${projects[0]}/users/${u}`)).status).toBeLessThan(
        300,
      );
    expect(await agentsOf(key)).toEqual(['agent-p1']);
    expect(await agentsOf(viewer.auth)).toEqual(['agent-p1']);
    expect((await http(key, 'GET', `/api/agents?project=${projects[1]}`)).status).toBe(404);
  });
});
