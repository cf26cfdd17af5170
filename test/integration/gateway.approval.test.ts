/**
 * Approving and denying an agent's tool calls through REST, end to end with a real workspace node
 * and the scripted provider: the project's approval list reaches the agent, the task waits in
 * `awaiting_approval` with the calls it waits on, approve / deny resume it; a task that is not
 * waiting answers 409, a viewer 403, another tenant 404. Usage then reports tokens and money.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../harness/index.js';
import { call, registerAndLogin, startStack, type Stack, METRICS_TOKEN } from './gateway.fixture.js';

let stack: Stack;
let owner: { authorization: string };
let viewer: { authorization: string };
let stranger: { authorization: string };
let org: string;
let project: string;

interface Task {
  id: string;
  workspace: string;
  state: string;
  status: string;
  result: string | null;
  approval: { callIds: string[]; tools: string[] } | null;
}

beforeAll(async () => {
  const many = { limit: 1_000_000, windowMs: 60_000 };
  stack = await startStack({ gateway: { rateLimits: { perUser: many, perOrg: many } } });
  const o = await registerAndLogin(stack.gw, 'approver');
  const v = await registerAndLogin(stack.gw, 'watcher');
  owner = o.auth;
  viewer = v.auth;
  stranger = (await registerAndLogin(stack.gw, 'outsider')).auth;
  org = (await call<{ id: string }>(stack.gw, owner, 'POST', '/api/orgs', { name: 'Ap' })).body.id;
  await call(stack.gw, owner, 'POST', `/api/orgs/${org}/members`, { email: v.email, role: 'viewer' });
  const ws = (await call<{ id: string }>(stack.gw, owner, 'POST', '/api/workspaces', { org, name: 'w' })).body
    .id;
  project = (
    await call<{ id: string }>(stack.gw, owner, 'POST', `/api/workspaces/${ws}/projects`, { name: 'p' })
  ).body.id;
  await call(stack.gw, owner, 'PUT', `/api/projects/${project}/users/${v.id}`);
  const cfg = await call(stack.gw, owner, 'PUT', `/api/projects/${project}/agent-config`, {
    agents: [{ name: 'careful', profile: 'default', approval: ['list_files'] }],
  });
  expect(cfg.status).toBe(200);
});
afterAll(async () => {
  await stack?.stop();
});

const script = [
  { text: 'let me look', toolCalls: [{ name: 'list_files', input: { path: '.' } }] },
  { text: 'all done' },
];

async function submitWaiting(): Promise<Task> {
  const sub = await call<Task>(stack.gw, owner, 'POST', `/api/projects/${project}/tasks`, {
    prompt: 'look around',
    agent: 'careful',
    script,
  });
  expect(sub.status).toBe(202);
  return eventually(async () => {
    const t = await call<Task>(stack.gw, owner, 'GET', `/api/tasks/${sub.body.id}`);
    return t.body.state.includes('awaiting_approval') ? t.body : undefined;
  });
}

const finished = (id: string) =>
  eventually(async () => {
    const t = await call<Task>(stack.gw, owner, 'GET', `/api/tasks/${id}`);
    return t.body.status !== 'active' ? t.body : undefined;
  });

describe('approval', () => {
  it('a tool on the project’s approval list waits for approval, and approving it completes the task', async () => {
    const waiting = await submitWaiting();
    expect(waiting.approval?.tools).toEqual(['list_files']);
    expect(waiting.approval?.callIds).toHaveLength(1);
    const ok = await call<Task>(stack.gw, owner, 'POST', `/api/tasks/${waiting.id}/approve`, {
      callId: waiting.approval!.callIds[0],
    });
    expect(ok.status).toBe(200);
    const done = await finished(waiting.id);
    expect(done.status).toBe('done');
    expect(done.result).toBe('all done');
    // the journal shows the decision and the tool run
    const again = await call<{ error: { code: string } }>(
      stack.gw,
      owner,
      'POST',
      `/api/tasks/${waiting.id}/approve`,
    );
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('MOE_ERR_CONFLICT');
  });

  it('denying the call resumes the task without running the tool', async () => {
    const waiting = await submitWaiting();
    const denied = await call<Task>(stack.gw, owner, 'POST', `/api/tasks/${waiting.id}/deny`, {
      reason: 'not now',
    });
    expect(denied.status).toBe(200);
    const done = await finished(waiting.id);
    expect(done.status).toBe('done');
    const recs = await stack.gw.ctx.bus.records({ org, ws: done.workspace, kind: 'agent', id: done.id });
    const events = recs.flatMap((r) => r.rec.events);
    expect(events).toContainEqual(expect.objectContaining({ type: 'approval.decided', approved: false }));
    expect(events).not.toContainEqual(expect.objectContaining({ type: 'tool.finished', isError: false }));
  });

  it('a viewer may not approve (403) and another tenant does not see the task (404)', async () => {
    const waiting = await submitWaiting();
    const asViewer = await call<{ error: { code: string } }>(
      stack.gw,
      viewer,
      'POST',
      `/api/tasks/${waiting.id}/approve`,
    );
    expect(asViewer.status).toBe(403);
    expect(asViewer.body.error.code).toBe('MOE_ERR_FORBIDDEN');
    const asStranger = await call<{ error: { code: string } }>(
      stack.gw,
      stranger,
      'POST',
      `/api/tasks/${waiting.id}/deny`,
    );
    expect(asStranger.status).toBe(404);
    expect(asStranger.body.error.code).toBe('MOE_ERR_NOT_FOUND');
    expect((await call<Task>(stack.gw, owner, 'GET', `/api/tasks/${waiting.id}`)).body.state).toContain(
      'awaiting_approval',
    );
    await call(stack.gw, owner, 'POST', `/api/tasks/${waiting.id}/cancel`, { reason: 'cleanup' });
  });

  it('approving a task that never asked for approval answers 409', async () => {
    const sub = await call<Task>(stack.gw, owner, 'POST', `/api/projects/${project}/tasks`, {
      prompt: 'quick',
      script: [{ text: 'hi' }],
    });
    await finished(sub.body.id);
    const res = await call<{ error: { code: string } }>(
      stack.gw,
      owner,
      'POST',
      `/api/tasks/${sub.body.id}/approve`,
    );
    expect(res.status).toBe(409);
  });

  it('usage reports tokens, provider cost and customer price per project and agent, and metrics count the money', async () => {
    const usage = await eventually(async () => {
      const u = await call<{
        rows: {
          agent: string;
          provider: string;
          calls: number;
          costMicros: number | null;
          priceMicros: number | null;
        }[];
        total: { calls: number; runs: number; costMicros: number | null; priceMicros: number | null };
      }>(stack.gw, owner, 'GET', `/api/usage?org=${org}&project=${project}&agent=default`);
      return u.body.total.runs >= 4 ? u.body : undefined;
    });
    expect(usage.total.calls).toBeGreaterThanOrEqual(4);
    expect(usage.rows.every((r) => r.agent === 'default' && r.provider === 'scripted')).toBe(true);
    // the scripted provider is free, but priced: 0, not null
    expect(usage.total.costMicros).toBe(0);
    expect(usage.total.priceMicros).toBe(0);
    const metrics = await stack.gw.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(metrics.body).toMatch(/moe_provider_cost_micros_total\{provider="scripted",model="[^"]+"\} 0/);
    expect(metrics.body).toMatch(/moe_customer_price_micros_total\{provider="scripted"/);
    const forViewer = await call<{ total: { calls: number } }>(
      stack.gw,
      viewer,
      'GET',
      `/api/usage?org=${org}`,
    );
    expect(forViewer.status).toBe(200);
  });
});
