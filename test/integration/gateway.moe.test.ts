/**
 * The mixture-of-experts coordinator through REST, end to end on a real nats-server and workspace
 * node with the scripted provider: `POST /api/projects/:id/tasks` with `experts`/`subtasks` starts
 * a coordinator run with the same options as over NATS, readable at `/api/tasks/:id`; bad
 * combinations are 400 and another tenant gets 404.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../harness/index.js';
import { call, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

let stack: Stack;
let auth: { authorization: string };
let stranger: { authorization: string };
let project: string;
let ws: string;

beforeAll(async () => {
  stack = await startStack();
  auth = (await registerAndLogin(stack.gw, 'moe')).auth;
  stranger = (await registerAndLogin(stack.gw, 'other')).auth;
  const org = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/orgs', { name: 'Moe' })).body.id;
  ws = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/workspaces', { org, name: 'w' })).body.id;
  project = (
    await call<{ id: string }>(stack.gw, auth, 'POST', `/api/workspaces/${ws}/projects`, { name: 'p' })
  ).body.id;
});
afterAll(async () => {
  await stack?.stop();
});

describe('mixture of experts through REST', () => {
  it('starts a coordinator run whose experts answer and whose result aggregates them', async () => {
    const sub = await call<{ id: string; state: string }>(
      stack.gw,
      auth,
      'POST',
      `/api/projects/${project}/tasks`,
      {
        prompt: 'launch checklist',
        experts: ['default'],
        subtasks: [
          { prompt: 'risks', script: [{ text: 'risk: load' }] },
          { prompt: 'announcement', script: [{ text: 'announce: beta' }] },
        ],
        aggregate: 'concat',
      },
    );
    expect(sub.status, JSON.stringify(sub.body)).toBe(202);
    const done = await eventually(
      async () => {
        const t = await call<{ status: string; result: string | null; state: string }>(
          stack.gw,
          auth,
          'GET',
          `/api/tasks/${sub.body.id}`,
        );
        return t.body.status !== 'active' ? t.body : undefined;
      },
      { what: 'coordinator done' },
    );
    expect(done.status).toBe('done');
    expect(done.result).toContain('risk: load');
    expect(done.result).toContain('announce: beta');
    // another tenant cannot read it
    const r = await call<{ status: number }>(stack.gw, stranger, 'GET', `/api/tasks/${sub.body.id}`);
    expect(r.status).toBe(404);
  });

  it('refuses MoE fields with a session or a step budget, and unknown MoE options', async () => {
    const session = (await call<{ id: string }>(stack.gw, auth, 'POST', `/api/workspaces/${ws}/sessions`, {}))
      .body.id;
    for (const body of [
      { prompt: 'x', experts: ['default'], session },
      { prompt: 'x', experts: ['default'], maxSteps: 3 },
      { prompt: 'x', aggregate: 'vote' },
      { prompt: 'x', experts: [] as string[], subtasks: [] as unknown[] },
    ]) {
      const r = await call<{ error: { code: string } }>(
        stack.gw,
        auth,
        'POST',
        `/api/projects/${project}/tasks`,
        body,
      );
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
    const foreign = await call(stack.gw, stranger, 'POST', `/api/projects/${project}/tasks`, {
      prompt: 'x',
      experts: ['default'],
    });
    expect(foreign.status).toBe(404);
  });
});
