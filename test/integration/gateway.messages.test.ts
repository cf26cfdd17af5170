/**
 * Conversations over REST on a real nats-server and workspace node (seed 001 `receive`): a
 * finished agent answers follow-up messages with the whole conversation as context; messages sent
 * at once are answered in the order the actor accepted them; the history pages by cursor and is
 * projected into messages.db; refused and foreign requests get their codes.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceDir } from '../../workspace-node/index.js';
import { eventually } from '../harness/index.js';
import { call, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

let stack: Stack;
let auth: { authorization: string };
let stranger: { authorization: string };
let org: string;
let ws: string;
let project: string;
let session: string;

interface Msg {
  turn: number;
  role: 'user' | 'assistant';
  content: string;
}
interface Page {
  messages: Msg[];
  nextCursor: number | null;
  session: string;
}

beforeAll(async () => {
  stack = await startStack();
  auth = (await registerAndLogin(stack.gw, 'talker')).auth;
  stranger = (await registerAndLogin(stack.gw, 'stranger')).auth;
  org = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/orgs', { name: 'Talk' })).body.id;
  ws = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/workspaces', { org, name: 'w' })).body.id;
  project = (
    await call<{ id: string }>(stack.gw, auth, 'POST', `/api/workspaces/${ws}/projects`, { name: 'p' })
  ).body.id;
  session = (await call<{ id: string }>(stack.gw, auth, 'POST', `/api/workspaces/${ws}/sessions`, {})).body
    .id;
});
afterAll(async () => {
  await stack?.stop();
});

async function finishedTask(prompt: string, inSession = true): Promise<string> {
  const sub = await call<{ id: string }>(stack.gw, auth, 'POST', `/api/projects/${project}/tasks`, {
    prompt,
    script: [{ text: `answer to ${prompt}` }],
    ...(inSession ? { session } : {}),
  });
  expect(sub.status, JSON.stringify(sub.body)).toBe(202);
  await idle(sub.body.id);
  return sub.body.id;
}

/** Waits until the agent rests in `done` with nothing queued (its last turn reports status done). */
async function idle(id: string) {
  await eventually(
    async () => {
      const t = await call<{ status: string }>(stack.gw, auth, 'GET', `/api/tasks/${id}`);
      return t.body.status === 'done' ? true : undefined;
    },
    { what: `task ${id} done` },
  );
}

const messagesUrl = (agent: string) => `/api/sessions/${session}/agents/${agent}/messages`;

async function history(agent: string, limit = 500): Promise<Msg[]> {
  const all: Msg[] = [];
  let cursor = 0;
  for (;;) {
    const page = await call<Page>(
      stack.gw,
      auth,
      'GET',
      `${messagesUrl(agent)}?cursor=${cursor}&limit=${limit}`,
    );
    expect(page.status).toBe(200);
    all.push(...page.body.messages);
    if (page.body.nextCursor === null) return all;
    expect(page.body.messages.length).toBeLessThanOrEqual(limit);
    cursor = page.body.nextCursor;
  }
}

describe('conversations with an agent', () => {
  it('a finished agent answers a follow-up with the whole conversation as context', async () => {
    const agent = await finishedTask('pick a colour');
    const sent = await call<{ queued: number; conversationTurn: number; session: string }>(
      stack.gw,
      auth,
      'POST',
      messagesUrl(agent),
      { text: 'why that one?' },
    );
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    expect(sent.body).toMatchObject({ queued: 0, conversationTurn: 2, session });
    await idle(agent);
    const h = await history(agent);
    expect(h.map((m) => [m.role, m.content])).toEqual([
      ['user', 'pick a colour'],
      ['assistant', 'answer to pick a colour'],
      ['user', 'why that one?'],
      // the scripted provider says what it was given: the message and the 2 messages before it
      ['assistant', '[scripted] Reply to "why that one?" with 2 earlier messages as context.'],
    ]);
    // the same history reached messages.db through the workspace's projection
    const db = new Database(join(workspaceDir(stack.dataDir, org, ws), 'db', 'messages.db'), {
      readonly: true,
    });
    try {
      const rows = await eventually(() => {
        const r = db
          .prepare('SELECT role, content FROM messages WHERE actor LIKE ? ORDER BY seq, turn, role DESC')
          .all(`%${agent}`) as { role: string; content: string }[];
        return r.length === 4 ? r : undefined;
      });
      expect(rows.map((r) => r.content)).toEqual(h.map((m) => m.content));
    } finally {
      db.close();
    }
  });

  it('a message with clear: true is answered without the earlier conversation, which the history keeps', async () => {
    const agent = await finishedTask('plan a trip');
    const sent = await call<{ conversationTurn: number }>(stack.gw, auth, 'POST', messagesUrl(agent), {
      text: 'new topic: name a city',
      clear: true,
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    await idle(agent);
    const h = await history(agent);
    expect(h.map((m) => [m.role, m.content])).toEqual([
      ['user', 'plan a trip'],
      ['assistant', 'answer to plan a trip'],
      ['user', 'new topic: name a city'],
      ['assistant', '[scripted] Reply to "new topic: name a city" with 0 earlier messages as context.'],
    ]);
    expect(h[2]).toMatchObject({ cleared: true });
    expect(h[0]).not.toHaveProperty('cleared');
    // the next plain follow-up has the fresh conversation as context: 2 messages, not 4
    await call(stack.gw, auth, 'POST', messagesUrl(agent), { text: 'why there?' });
    await idle(agent);
    expect((await history(agent)).at(-1)?.content).toBe(
      '[scripted] Reply to "why there?" with 2 earlier messages as context.',
    );
  });

  it('messages sent at once queue and are answered in the order the agent accepted them', async () => {
    const agent = await finishedTask('count with me');
    const texts = ['one', 'two', 'three', 'four'];
    const sent = await Promise.all(
      texts.map((text) =>
        call<{ queued: number; turn: number }>(stack.gw, auth, 'POST', messagesUrl(agent), { text }),
      ),
    );
    for (const s of sent) expect(s.status).toBe(202);
    // one started at once, the others waited behind it: 0, 1, 2, 3 in accepted order
    const byTurn = sent.map((s, i) => ({ ...s.body, text: texts[i]! })).sort((a, b) => a.turn - b.turn);
    expect(byTurn.map((s) => s.queued)).toEqual([0, 1, 2, 3]);
    await idle(agent);
    const h = await history(agent);
    const users = h
      .filter((m) => m.role === 'user')
      .slice(1)
      .map((m) => m.content);
    expect(users).toEqual(byTurn.map((s) => s.text));
    const replies = h
      .filter((m) => m.role === 'assistant')
      .slice(1)
      .map((m) => /Reply to "([^"]+)" with (\d+) earlier/.exec(m.content));
    expect(replies.map((r) => r?.[1])).toEqual(users);
    // each answer saw the whole conversation before it: 2 messages more each time
    expect(replies.map((r) => Number(r?.[2]))).toEqual([2, 4, 6, 8]);
  });

  it('pages the history by cursor without losing or repeating a message', async () => {
    const agent = await finishedTask('page me');
    for (const text of ['a', 'b', 'c']) {
      expect((await call(stack.gw, auth, 'POST', messagesUrl(agent), { text })).status).toBe(202);
      await idle(agent);
    }
    const whole = await history(agent);
    expect(whole).toHaveLength(8);
    for (const limit of [1, 2, 3]) expect(await history(agent, limit)).toEqual(whole);
    const bad = await call(stack.gw, auth, 'GET', `${messagesUrl(agent)}?limit=0`);
    expect(bad.status).toBe(400);
  });

  it('a task without a session takes messages on /api/tasks/:id/messages', async () => {
    const agent = await finishedTask('no session', false);
    const sent = await call(stack.gw, auth, 'POST', `/api/tasks/${agent}/messages`, { text: 'still there?' });
    expect(sent.status).toBe(202);
    await idle(agent);
    const page = await call<Page>(stack.gw, auth, 'GET', `/api/tasks/${agent}/messages`);
    expect(page.body.messages.map((m) => m.content).at(-2)).toBe('still there?');
    // it is not in the session: 404 through the session route
    expect((await call(stack.gw, auth, 'GET', messagesUrl(agent))).status).toBe(404);
  });

  it('refuses a message to a cancelled agent (409) and bad bodies (400)', async () => {
    const sub = await call<{ id: string }>(stack.gw, auth, 'POST', `/api/projects/${project}/tasks`, {
      prompt: 'slow',
      session,
      script: [{ text: 'late', delayMs: 5_000 }],
    });
    expect((await call(stack.gw, auth, 'POST', `/api/tasks/${sub.body.id}/cancel`, {})).status).toBe(200);
    const r = await call<{ error: { code: string } }>(stack.gw, auth, 'POST', messagesUrl(sub.body.id), {
      text: 'hello?',
    });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('MOE_ERR_CONFLICT');
    for (const body of [{}, { text: '' }, { text: 'x', extra: 1 }]) {
      const b = await call<{ error: { code: string } }>(
        stack.gw,
        auth,
        'POST',
        messagesUrl(sub.body.id),
        body,
      );
      expect(b.status).toBe(400);
      expect(b.body.error.code).toBe('MOE_ERR_VALIDATION');
    }
  });

  it('another tenant gets 404 on every message route, and nothing reaches the agent', async () => {
    const agent = await finishedTask('private');
    const before = await history(agent);
    const urls = [messagesUrl(agent), `/api/tasks/${agent}/messages`];
    for (const url of urls) {
      expect((await call(stack.gw, stranger, 'GET', url)).status).toBe(404);
      expect((await call(stack.gw, stranger, 'POST', url, { text: 'let me in' })).status).toBe(404);
    }
    // malformed and made-up ids are 404 too
    for (const url of [
      `/api/sessions/${session}/agents/nope/messages`,
      `/api/sessions/nope/agents/${agent}/messages`,
      `/api/tasks/${agent.replace(/t[0-9a-f]{16}$/, 't0000000000000000')}/messages`,
    ])
      expect((await call(stack.gw, auth, 'GET', url)).status).toBe(404);
    expect(await history(agent)).toEqual(before);
  });
});
