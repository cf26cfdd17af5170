/**
 * Idempotency-Key on create routes: a retry with the same key from the same caller answers the
 * same resource and sends no second command (the kernel's command-id dedupe), another caller's
 * key is its own request. Also: listing a workspace's sessions, and a command the kernel
 * dead-letters answering at once instead of timing out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

let stack: Stack;
let owner: { authorization: string };
let admin: { authorization: string };
let org: string;
let ws: string;
let project: string;

beforeAll(async () => {
  stack = await startStack();
  owner = (await registerAndLogin(stack.gw, 'idem')).auth;
  const a = await registerAndLogin(stack.gw, 'idem-admin');
  admin = a.auth;
  org = (await call<{ id: string }>(stack.gw, owner, 'POST', '/api/orgs', { name: 'Idem' })).body.id;
  await call(stack.gw, owner, 'POST', `/api/orgs/${org}/members`, { email: a.email, role: 'admin' });
  ws = (await call<{ id: string }>(stack.gw, owner, 'POST', '/api/workspaces', { org, name: 'w' })).body.id;
  project = (
    await call<{ id: string }>(stack.gw, owner, 'POST', `/api/workspaces/${ws}/projects`, { name: 'p' })
  ).body.id;
});
afterAll(async () => {
  await stack?.stop();
});

async function post(auth: Record<string, string>, url: string, payload: object, key?: string) {
  const res = await stack.gw.app.inject({
    method: 'POST',
    url,
    payload,
    headers: { ...auth, ...(key ? { 'idempotency-key': key } : {}) },
  });
  return { status: res.statusCode, body: res.json<Record<string, unknown> & { id: string }>() };
}

describe('idempotency keys', () => {
  it('submitting a task twice with one key answers the same task and journals one submit', async () => {
    const body = { prompt: 'once', script: [{ text: 'ok' }] };
    const [first, second] = await Promise.all([
      post(owner, `/api/projects/${project}/tasks`, body, 'task-key-1'),
      post(owner, `/api/projects/${project}/tasks`, body, 'task-key-1'),
    ]);
    const third = await post(owner, `/api/projects/${project}/tasks`, body, 'task-key-1');
    expect([first.status, second.status, third.status]).toEqual([202, 202, 202]);
    expect(second.body).toEqual(first.body);
    expect(third.body).toEqual(first.body);
    const recs = await stack.gw.ctx.bus.records({ org, ws, kind: 'agent', id: first.body.id });
    expect(recs.filter((r) => r.rec.cmd.type === 'task.submit')).toHaveLength(1);
    const other = await post(owner, `/api/projects/${project}/tasks`, body, 'task-key-2');
    expect(other.body.id).not.toBe(first.body.id);
  });

  it('the same key from another caller is a different request', async () => {
    const mine = await post(owner, '/api/workspaces', { org, name: 'mine' }, 'ws-key');
    const theirs = await post(admin, '/api/workspaces', { org, name: 'theirs' }, 'ws-key');
    expect(mine.status).toBe(201);
    expect(theirs.status).toBe(201);
    expect(theirs.body.id).not.toBe(mine.body.id);
    const again = await post(owner, '/api/workspaces', { org, name: 'mine' }, 'ws-key');
    expect(again).toEqual(mine);
    const list = await call<{ workspaces: { id: string }[] }>(
      stack.gw,
      owner,
      'GET',
      `/api/workspaces?org=${org}`,
    );
    expect(list.body.workspaces.filter((w) => w.id === mine.body.id)).toHaveLength(1);
  });

  it('orgs, projects, teams and sessions created twice with one key exist once', async () => {
    const cases: [string, object][] = [
      ['/api/orgs', { name: 'O' }],
      [`/api/workspaces/${ws}/projects`, { name: 'P' }],
      [`/api/orgs/${org}/teams`, { name: 'T' }],
      [`/api/workspaces/${ws}/sessions`, { title: 'S' }],
    ];
    for (const [url, payload] of cases) {
      const a = await post(owner, url, payload, `k-${url}`);
      const b = await post(owner, url, payload, `k-${url}`);
      expect(a.status, url).toBe(201);
      expect(b, url).toEqual(a);
    }
    const orgs = await call<{ orgs: { name: string }[] }>(stack.gw, owner, 'GET', '/api/orgs');
    expect(orgs.body.orgs.filter((o) => o.name === 'O')).toHaveLength(1);
  });

  it('an API key created twice with one key exists once, and the retry cannot show the secret again', async () => {
    const a = await post(owner, `/api/orgs/${org}/api-keys`, { name: 'ci' }, 'apikey-key');
    const b = await post(owner, `/api/orgs/${org}/api-keys`, { name: 'ci' }, 'apikey-key');
    expect(a.status).toBe(201);
    expect(typeof a.body.key).toBe('string');
    expect(b.body.id).toBe(a.body.id);
    expect(b.body.key).toBeNull();
    const keys = await call<{ apiKeys: { name: string }[] }>(
      stack.gw,
      owner,
      'GET',
      `/api/orgs/${org}/api-keys`,
    );
    expect(keys.body.apiKeys.filter((k) => k.name === 'ci')).toHaveLength(1);
  });

  it('a malformed Idempotency-Key is a 400 with its own code', async () => {
    const res = await post(owner, '/api/workspaces', { org, name: 'x' }, 'x'.repeat(300));
    expect(res.status).toBe(400);
    expect((res.body as unknown as { error: { code: string } }).error.code).toBe('MOE_ERR_IDEMPOTENCY_KEY');
  });
});

describe('sessions of a workspace', () => {
  it('lists the sessions of a workspace, most recent first, with their state', async () => {
    const other = (
      await call<{ id: string }>(stack.gw, owner, 'POST', '/api/workspaces', { org, name: 'sw' })
    ).body.id;
    const s1 = (await call<{ id: string }>(stack.gw, owner, 'POST', `/api/workspaces/${other}/sessions`, {}))
      .body.id;
    const s2 = (await call<{ id: string }>(stack.gw, owner, 'POST', `/api/workspaces/${other}/sessions`, {}))
      .body.id;
    await call(stack.gw, owner, 'POST', `/api/sessions/${s1}/close`, {});
    const list = await call<{ sessions: { id: string; state: string }[] }>(
      stack.gw,
      owner,
      'GET',
      `/api/workspaces/${other}/sessions`,
    );
    expect(list.status).toBe(200);
    expect(list.body.sessions.map((s) => [s.id, s.state])).toEqual([
      [s1, 'closed'],
      [s2, 'active'],
    ]);
  });
});

describe('dead letters', () => {
  it('a command the kernel dead-letters as unknown answers at once instead of timing out', async () => {
    const t0 = Date.now();
    const err = await stack.gw.ctx.bus
      .request(
        { org, ws, kind: 'session', id: `${ws}-s0000000000000001` },
        'session.bogus',
        {},
        { id: 'dl-test-1' },
      )
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MOE_ERR_NOT_SUPPORTED', status: 501 });
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
