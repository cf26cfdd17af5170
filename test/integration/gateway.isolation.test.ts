/**
 * Tenant isolation: every route family tried with another tenant's ids answers 404 (never data,
 * never a hint that the id exists), and with a too-low role answers 403.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../harness/index.js';
import { call, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

let stack: Stack;
const ids: Record<string, string> = {};
let owner: { authorization: string };
let stranger: { authorization: string };
let viewer: { authorization: string };

beforeAll(async () => {
  stack = await startStack();
  const o = await registerAndLogin(stack.gw, 'owner');
  const s = await registerAndLogin(stack.gw, 'stranger');
  const v = await registerAndLogin(stack.gw, 'viewer');
  owner = o.auth;
  stranger = s.auth;
  viewer = v.auth;
  ids.user = v.id;
  ids.owner = o.id;
  ids.org = (await call<{ id: string }>(stack.gw, owner, 'POST', '/api/orgs', { name: 'A' })).body.id;
  await call(stack.gw, stranger, 'POST', '/api/orgs', { name: 'B' });
  await call(stack.gw, owner, 'POST', `/api/orgs/${ids.org}/members`, { email: v.email, role: 'viewer' });
  ids.team = (
    await call<{ id: string }>(stack.gw, owner, 'POST', `/api/orgs/${ids.org}/teams`, { name: 't' })
  ).body.id;
  ids.ws = (
    await call<{ id: string }>(stack.gw, owner, 'POST', '/api/workspaces', { org: ids.org, name: 'w' })
  ).body.id;
  ids.project = (
    await call<{ id: string }>(stack.gw, owner, 'POST', `/api/workspaces/${ids.ws}/projects`, { name: 'p' })
  ).body.id;
  await call(stack.gw, owner, 'PUT', `/api/projects/${ids.project}/users/${v.id}`);
  ids.key = (
    await call<{ id: string }>(stack.gw, owner, 'POST', `/api/orgs/${ids.org}/api-keys`, { name: 'k' })
  ).body.id;
  ids.session = (
    await call<{ id: string }>(stack.gw, owner, 'POST', `/api/workspaces/${ids.ws}/sessions`, {})
  ).body.id;
  ids.task = (
    await call<{ id: string }>(stack.gw, owner, 'POST', `/api/projects/${ids.project}/tasks`, {
      prompt: 'x',
      script: [{ text: 'ok' }],
    })
  ).body.id;
  ids.board = (
    await call<{ id: string }>(stack.gw, owner, 'POST', `/api/projects/${ids.project}/boards`, {
      name: 'b',
      lanes: [
        { id: 'todo', name: 'To do' },
        { id: 'done', name: 'Done' },
      ],
    })
  ).body.id;
  ids.card = (
    await call<{ id: string }>(stack.gw, owner, 'POST', `/api/projects/${ids.project}/cards`, {
      board: ids.board,
      lane: 'todo',
      title: 'c',
    })
  ).body.id;
  await eventually(async () =>
    (await call<{ status: string }>(stack.gw, owner, 'GET', `/api/tasks/${ids.task}`)).body.status === 'done'
      ? true
      : undefined,
  );
  // an agent in the session, for the conversation routes
  ids.sessionTask = (
    await call<{ id: string }>(stack.gw, owner, 'POST', `/api/projects/${ids.project}/tasks`, {
      prompt: 'x',
      script: [{ text: 'ok' }],
      session: ids.session,
    })
  ).body.id;
  await eventually(async () =>
    (await call<{ status: string }>(stack.gw, owner, 'GET', `/api/tasks/${ids.sessionTask}`)).body.status ===
    'done'
      ? true
      : undefined,
  );
});
afterAll(async () => {
  await stack?.stop();
});

/** The stranger's own session with an agent in it: for message routes that mix two orgs' ids. */
async function strangerConversation(): Promise<{ session: string; agent: string }> {
  const org = (await call<{ orgs: { id: string }[] }>(stack.gw, stranger, 'GET', '/api/orgs')).body.orgs[0]!
    .id;
  const ws = (await call<{ id: string }>(stack.gw, stranger, 'POST', '/api/workspaces', { org, name: 's' }))
    .body.id;
  const project = (
    await call<{ id: string }>(stack.gw, stranger, 'POST', `/api/workspaces/${ws}/projects`, { name: 'sp' })
  ).body.id;
  const session = (
    await call<{ id: string }>(stack.gw, stranger, 'POST', `/api/workspaces/${ws}/sessions`, {})
  ).body.id;
  const agent = (
    await call<{ id: string }>(stack.gw, stranger, 'POST', `/api/projects/${project}/tasks`, {
      prompt: 'x',
      script: [{ text: 'ok' }],
      session,
    })
  ).body.id;
  await eventually(async () =>
    (await call<{ status: string }>(stack.gw, stranger, 'GET', `/api/tasks/${agent}`)).body.status === 'done'
      ? true
      : undefined,
  );
  return { session, agent };
}

type Route = [method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: () => string, body?: unknown];
const routes: Route[] = [
  ['GET', () => `/api/orgs/${ids.org}`],
  ['GET', () => `/api/orgs/${ids.org}/members`],
  ['POST', () => `/api/orgs/${ids.org}/members`, { email: 'x@example.com', role: 'member' }],
  ['PUT', () => `/api/orgs/${ids.org}/members/${ids.owner}`, { role: 'admin' }],
  ['DELETE', () => `/api/orgs/${ids.org}/members/${ids.owner}`],
  ['GET', () => `/api/orgs/${ids.org}/teams`],
  ['POST', () => `/api/orgs/${ids.org}/teams`, { name: 'x' }],
  ['GET', () => `/api/teams/${ids.team}`],
  ['DELETE', () => `/api/teams/${ids.team}`],
  ['POST', () => `/api/teams/${ids.team}/members`, () => ({ user: ids.user })],
  ['GET', () => `/api/orgs/${ids.org}/api-keys`],
  ['POST', () => `/api/orgs/${ids.org}/api-keys`, { name: 'x' }],
  ['DELETE', () => `/api/api-keys/${ids.key}`],
  ['GET', () => `/api/workspaces/${ids.ws}`],
  ['PUT', () => `/api/workspaces/${ids.ws}`, { name: 'x' }],
  ['DELETE', () => `/api/workspaces/${ids.ws}`],
  ['GET', () => `/api/workspaces/${ids.ws}/projects`],
  ['POST', () => `/api/workspaces/${ids.ws}/projects`, { name: 'x' }],
  ['GET', () => `/api/projects/${ids.project}`],
  ['PUT', () => `/api/projects/${ids.project}`, { name: 'x' }],
  ['DELETE', () => `/api/projects/${ids.project}`],
  ['PUT', () => `/api/projects/${ids.project}/agent-config`, { agents: [] }],
  ['PUT', () => `/api/projects/${ids.project}/teams/${ids.team}`],
  ['POST', () => `/api/workspaces/${ids.ws}/sessions`, {}],
  ['GET', () => `/api/sessions/${ids.session}`],
  ['POST', () => `/api/sessions/${ids.session}/renew`, {}],
  ['POST', () => `/api/sessions/${ids.session}/close`, {}],
  ['POST', () => `/api/projects/${ids.project}/tasks`, { prompt: 'x' }],
  ['GET', () => `/api/projects/${ids.project}/tasks`],
  ['GET', () => `/api/tasks/${ids.task}`],
  ['POST', () => `/api/tasks/${ids.task}/cancel`, {}],
  ['POST', () => `/api/tasks/${ids.task}/approve`, {}],
  ['POST', () => `/api/tasks/${ids.task}/deny`, { reason: 'x' }],
  ['GET', () => `/api/workspaces/${ids.ws}/sessions`],
  ['GET', () => `/api/tasks/${ids.task}/stream`],
  ['GET', () => `/api/sessions/${ids.session}/stream`],
  ['GET', () => `/api/workspaces/${ids.ws}/events`],
  ['GET', () => `/api/usage?org=${ids.org}`],
  ['GET', () => `/api/agents?project=${ids.project}`],
  ['GET', () => `/api/projects/${ids.project}/boards`],
  ['POST', () => `/api/projects/${ids.project}/boards`, { name: 'x', lanes: [{ id: 'a', name: 'a' }] }],
  ['GET', () => `/api/boards/${ids.board}`],
  [
    'POST',
    () => `/api/projects/${ids.project}/cards`,
    () => ({ board: ids.board, lane: 'todo', title: 'x' }),
  ],
  ['GET', () => `/api/cards/${ids.card}`],
  ['PUT', () => `/api/cards/${ids.card}`, { title: 'x' }],
  ['PUT', () => `/api/cards/${ids.card}/move`, { lane: 'done' }],
  ['GET', () => `/api/cards/${ids.card}/runs`],
  ['POST', () => `/api/cards/${ids.card}/agents/a1/run`],
  ['POST', () => `/api/cards/${ids.card}/approve`, {}],
  ['POST', () => `/api/cards/${ids.card}/deny`, {}],
  ['DELETE', () => `/api/cards/${ids.card}`],
  ['POST', () => `/api/projects/${ids.project}/tasks`, { prompt: 'x', experts: ['default'] }],
  ['GET', () => `/api/sessions/${ids.session}/agents/${ids.sessionTask}/messages`],
  ['POST', () => `/api/sessions/${ids.session}/agents/${ids.sessionTask}/messages`, { text: 'x' }],
  ['GET', () => `/api/tasks/${ids.task}/messages`],
  ['POST', () => `/api/tasks/${ids.task}/messages`, { text: 'x' }],
  ['GET', () => `/api/cards/${ids.card}/terminal`],
  ['GET', () => `/api/workspaces/${ids.ws}/search?q=x`],
  ['GET', () => `/api/orgs/${ids.org}/budget`],
  ['PUT', () => `/api/orgs/${ids.org}/budget`, { limitMicros: 1 }],
  ['GET', () => `/api/workspaces/${ids.ws}/budget`],
  ['PUT', () => `/api/workspaces/${ids.ws}/budget`, { limitMicros: 1 }],
  ['GET', () => `/api/projects/${ids.project}/budget`],
  ['PUT', () => `/api/projects/${ids.project}/budget`, { limitMicros: 1 }],
  ['DELETE', () => `/api/workspaces/${ids.ws}/budget`],
  ['GET', () => `/api/orgs/${ids.org}/webhooks`],
  ['POST', () => `/api/orgs/${ids.org}/webhooks`, { url: 'http://127.0.0.1:9/hook' }],
  ['DELETE', () => `/api/orgs/${ids.org}/webhooks/h0000000000000000`],
  ['GET', () => `/api/orgs/${ids.org}/webhooks/deliveries`],
];

describe('tenant isolation', () => {
  it.each(routes.map((r) => [`${r[0]} ${r[1].toString().slice(10, -1)}`, r] as const))(
    'another tenant calling %s gets 404 and no data',
    async (_name, [method, url, body]) => {
      const res = await call<{ error?: { code: string } }>(
        stack.gw,
        stranger,
        method,
        url(),
        typeof body === 'function' ? (body as () => unknown)() : body,
      );
      expect(res.status).toBe(404);
      expect(res.body.error?.code).toBe('MOE_ERR_NOT_FOUND');
      expect(Object.keys(res.body)).toEqual(['error']);
    },
  );

  const writes = routes.filter(([m]) => m !== 'GET');
  it.each(writes.map((r) => [`${r[0]} ${r[1].toString().slice(10, -1)}`, r] as const))(
    'a viewer calling %s gets 403',
    async (_name, [method, url, body]) => {
      const res = await call<{ error?: { code: string } }>(
        stack.gw,
        viewer,
        method,
        url(),
        typeof body === 'function' ? (body as () => unknown)() : body,
      );
      expect(res.status).toBe(403);
      expect(res.body.error?.code).toBe('MOE_ERR_FORBIDDEN');
    },
  );

  it('listings never include another tenant’s resources', async () => {
    const wss = await call<{ workspaces: unknown[] }>(stack.gw, stranger, 'GET', '/api/workspaces');
    expect(wss.body.workspaces).toEqual([]);
    const agents = await call<{ agents: unknown[] }>(stack.gw, stranger, 'GET', '/api/agents');
    expect(agents.body.agents).toEqual([]);
  });

  // last: it gives the stranger a workspace of its own (the listing test above expects none)
  it('message routes that mix two orgs’ session and agent ids answer 404 both ways, and send nothing', async () => {
    const mine = await strangerConversation();
    const before = (
      await call<{ messages: unknown[] }>(
        stack.gw,
        owner,
        'GET',
        `/api/sessions/${ids.session}/agents/${ids.sessionTask}/messages`,
      )
    ).body.messages.length;
    const mixed: [string, string][] = [
      [mine.session, ids.sessionTask!], // the stranger's session, the owner's agent
      [ids.session!, mine.agent], // the owner's session, the stranger's agent
      [ids.session!, ids.task!], // the owner's session, an owner agent outside it
      [ids.session!, `${mine.agent.slice(0, -4)}beef`], // a made-up agent id
    ];
    for (const [session, agent] of mixed) {
      const url = `/api/sessions/${session}/agents/${agent}/messages`;
      for (const [method, body] of [
        ['GET', undefined],
        ['POST', { text: 'hello from another org' }],
      ] as const) {
        const res = await call<{ error?: { code: string } }>(stack.gw, stranger, method, url, body);
        expect(res.status, `${method} ${url}`).toBe(404);
        expect(res.body.error?.code).toBe('MOE_ERR_NOT_FOUND');
        expect(Object.keys(res.body)).toEqual(['error']);
      }
    }
    // the stranger's own conversation still works, and the owner's conversation got nothing
    const own = await call(
      stack.gw,
      stranger,
      'GET',
      `/api/sessions/${mine.session}/agents/${mine.agent}/messages`,
    );
    expect(own.status).toBe(200);
    const after = (
      await call<{ messages: unknown[] }>(
        stack.gw,
        owner,
        'GET',
        `/api/sessions/${ids.session}/agents/${ids.sessionTask}/messages`,
      )
    ).body.messages.length;
    expect(after).toBe(before);
  }, 60_000);
});
