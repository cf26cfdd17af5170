/**
 * `GET /api/workspaces/:id/search` end to end on a real nats-server, a real workspace-node (its
 * parsed_sessions.db filled by the projection worker from real turns of the scripted provider) and
 * the gateway: hits with highlighted snippets, bm25 order, the session / agent / kind / time /
 * level filters, paging, a bad FTS5 query as a typed 400, the project rule (403), and 503 when no
 * node hosts the workspace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../harness/index.js';
import { call, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

interface Hit {
  seq: number;
  turn: number | null;
  session: string;
  actor: { kind: string; id: string };
  at: number | null;
  level: string | null;
  snippet: string;
  highlights: Array<[number, number]>;
  score: number;
}
interface Page {
  workspace: string;
  hits: Hit[];
  nextOffset: number | null;
  error?: { code: string };
}

let stack: Stack;
let owner: { authorization: string };
let member: { authorization: string };
const ids = { org: '', ws: '', project: '', session: '', loud: '', quiet: '', slow: '' };

const search = (query: string, auth = owner) =>
  call<Page>(stack.gw, auth, 'GET', `/api/workspaces/${ids.ws}/search?${query}`);

async function task(prompt: string, reply: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await call<{ id: string }>(stack.gw, owner, 'POST', `/api/projects/${ids.project}/tasks`, {
    prompt,
    script: [{ text: reply }],
    ...extra,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  return r.body.id;
}

const status = async (id: string) =>
  (await call<{ status: string }>(stack.gw, owner, 'GET', `/api/tasks/${id}`)).body.status;

beforeAll(async () => {
  stack = await startStack();
  const o = await registerAndLogin(stack.gw, 'owner');
  const m = await registerAndLogin(stack.gw, 'member');
  owner = o.auth;
  member = m.auth;
  ids.org = (await call<{ id: string }>(stack.gw, owner, 'POST', '/api/orgs', { name: 'S' })).body.id;
  await call(stack.gw, owner, 'POST', `/api/orgs/${ids.org}/members`, { email: m.email, role: 'member' });
  ids.ws = (
    await call<{ id: string }>(stack.gw, owner, 'POST', '/api/workspaces', { org: ids.org, name: 'w' })
  ).body.id;
  ids.project = (
    await call<{ id: string }>(stack.gw, owner, 'POST', `/api/workspaces/${ids.ws}/projects`, { name: 'p' })
  ).body.id;
  ids.session = (
    await call<{ id: string }>(stack.gw, owner, 'POST', `/api/workspaces/${ids.ws}/sessions`, {})
  ).body.id;
  ids.loud = await task('audit the kangaroo kangaroo kangaroo pens', 'pens audited');
  ids.quiet = await task('feed the kangaroo and the wombat in the far paddock today', 'fed', {
    session: ids.session,
  });
  ids.slow = await task('count the platypus herd', 'never said', {
    script: [{ text: 'x', delayMs: 60_000 }],
  });
  expect(await status(ids.slow)).toBe('active'); // waiting on its 60 s provider step
  const cancel = await call(stack.gw, owner, 'POST', `/api/tasks/${ids.slow}/cancel`, {
    reason: 'platypus census postponed',
  });
  expect(cancel.status, JSON.stringify(cancel.body)).toBe(200);
  for (const id of [ids.loud, ids.quiet])
    await eventually(async () => ((await status(id)) === 'done' ? true : undefined));
  // the projection worker indexes turns off the turn loop: wait until all three tasks are searchable
  await eventually(
    async () => {
      const r = await search('q=kangaroo OR platypus');
      const found = new Set(r.body.hits.map((h) => h.actor.id));
      return r.status === 200 && [ids.loud, ids.quiet, ids.slow].every((id) => found.has(id))
        ? true
        : undefined;
      // a projection worker loads its TypeScript through tsx under vitest: its first start takes seconds
    },
    { timeoutMs: 60_000, intervalMs: 200, what: 'the three tasks in the search index' },
  );
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

describe('GET /api/workspaces/:id/search', () => {
  it('finds the turns that mention a word, with the word highlighted in the snippet', async () => {
    const r = await search('q=wombat');
    expect(r.status).toBe(200);
    expect(r.body.workspace).toBe(ids.ws);
    expect(r.body.hits.length).toBeGreaterThan(0);
    const hit = r.body.hits[0]!;
    expect(hit.actor).toEqual({ kind: 'agent', id: ids.quiet });
    expect(hit.session).toBe(ids.session);
    expect(hit.level).toBe('info');
    expect(typeof hit.at).toBe('number');
    expect(hit.highlights.map(([s, e]) => hit.snippet.slice(s, e).toLowerCase())).toContain('wombat');
  });

  it('ranks the turn that says kangaroo three times above the one that says it once', async () => {
    const r = await search('q=kangaroo&kind=agent');
    const firstOf = (id: string) => r.body.hits.findIndex((h) => h.actor.id === id);
    expect(firstOf(ids.loud)).toBeGreaterThanOrEqual(0);
    expect(firstOf(ids.quiet)).toBeGreaterThan(firstOf(ids.loud));
    const scores = r.body.hits.map((h) => h.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it('filters by session, agent, kind, level and time', async () => {
    const actors = async (q: string) => {
      const r = await search(q);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return [...new Set(r.body.hits.map((h) => `${h.actor.kind}:${h.actor.id}`))].sort();
    };
    expect(await actors(`q=kangaroo&session=${ids.session}`)).toEqual(
      [`agent:${ids.quiet}`, `session:${ids.session}`].sort(),
    );
    expect(await actors(`q=kangaroo&agent=${ids.loud}`)).toEqual([`agent:${ids.loud}`]);
    expect(await actors(`q=kangaroo&kind=session`)).toEqual([`session:${ids.session}`]);
    const warn = await search('q=platypus&level=warn,error');
    expect(warn.body.hits.length).toBeGreaterThan(0);
    expect(warn.body.hits.every((h) => h.level === 'warn' && h.actor.id === ids.slow)).toBe(true);
    expect(warn.body.hits.some((h) => h.snippet.includes('postponed'))).toBe(true);
    const all = await search('q=kangaroo');
    const times = all.body.hits.map((h) => h.at!);
    const later = Math.max(...times) + 1;
    expect((await search(`q=kangaroo&from=${later}`)).body.hits).toEqual([]);
    expect((await search(`q=kangaroo&to=${new Date(Math.min(...times)).toISOString()}`)).body.hits).toEqual(
      [],
    );
    const window = await search(`q=kangaroo&from=${new Date(Math.min(...times)).toISOString()}&to=${later}`);
    expect(window.body.hits.length).toBe(all.body.hits.length);
  });

  it('pages with limit and nextOffset, every hit once', async () => {
    const all = (await search('q=kangaroo OR platypus OR wombat')).body.hits.map((h) => `${h.seq}/${h.turn}`);
    expect(all.length).toBeGreaterThan(2);
    const paged: string[] = [];
    let offset: number | null = 0;
    while (offset !== null) {
      const r = await search(`q=kangaroo OR platypus OR wombat&limit=2&offset=${offset}`);
      expect(r.body.hits.length).toBeLessThanOrEqual(2);
      paged.push(...r.body.hits.map((h) => `${h.seq}/${h.turn}`));
      offset = r.body.nextOffset;
    }
    expect(paged).toEqual(all);
  });

  it('answers a query FTS5 cannot parse with 400 MOE_ERR_SEARCH_QUERY, and bad parameters with 400', async () => {
    for (const q of ['%22kangaroo', 'nosuch%3Akangaroo', 'AND', 'kangaroo%20OR', 'NEAR(']) {
      const r = await search(`q=${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.error?.code, q).toBe('MOE_ERR_SEARCH_QUERY');
    }
    for (const q of [
      'q=',
      'q=x&level=loud',
      'q=x&from=yesterday',
      'q=x&limit=0',
      'q=x&limit=101',
      'nothing=1',
    ]) {
      const r = await search(q);
      expect(r.status, q).toBe(400);
      expect(r.body.error?.code, q).toBe('MOE_ERR_VALIDATION');
    }
    expect((await search('q=kangaroo')).status).toBe(200);
  });

  it('refuses a member who cannot see every project of the workspace (403), and allows them once granted', async () => {
    const r = await search('q=kangaroo', member);
    expect(r.status).toBe(403);
    expect(r.body.error?.code).toBe('MOE_ERR_FORBIDDEN');
    const { body: users } = await call<{ members: Array<{ user: string; email?: string }> }>(
      stack.gw,
      owner,
      'GET',
      `/api/orgs/${ids.org}/members`,
    );
    const memberId = users.members.find((u) => u.user !== undefined && u.email?.startsWith('member-'))?.user;
    expect(memberId).toBeDefined();
    await call(stack.gw, owner, 'PUT', `/api/projects/${ids.project}/users/${memberId}`);
    await eventually(async () => ((await search('q=kangaroo', member)).status === 200 ? true : undefined));
  });

  it('answers 503 MOE_ERR_SEARCH_UNAVAILABLE with retry-after when no node hosts the workspace', async () => {
    await stack.node!.stop();
    stack.node = null;
    const res = await stack.gw.app.inject({
      method: 'GET',
      url: `/api/workspaces/${ids.ws}/search?q=kangaroo`,
      headers: owner,
    });
    expect(res.statusCode).toBe(503);
    expect(res.json<Page>().error?.code).toBe('MOE_ERR_SEARCH_UNAVAILABLE');
    expect(res.headers['retry-after']).toBeDefined();
  });
});
