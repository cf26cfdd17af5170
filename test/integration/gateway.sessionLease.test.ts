/**
 * The session lease over REST (issue 8 item 9): `POST /api/projects/:id/tasks` with a `session`
 * whose lease has ended answers `410 MOE_ERR_SESSION_EXPIRED` and runs nothing; after
 * `POST /api/sessions/:id/renew` the same request runs the task; a closed session answers 409 and
 * a session that was never opened 404. Real nats-server, workspace node and gateway.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../harness/index.js';
import { call, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

let stack: Stack;
let auth: { authorization: string };
let ws: string;
let project: string;

beforeAll(async () => {
  stack = await startStack();
  auth = (await registerAndLogin(stack.gw, 'leaser')).auth;
  const org = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/orgs', { name: 'Lease' })).body.id;
  ws = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/workspaces', { org, name: 'w' })).body.id;
  project = (
    await call<{ id: string }>(stack.gw, auth, 'POST', `/api/workspaces/${ws}/projects`, { name: 'p' })
  ).body.id;
});
afterAll(async () => stack?.stop());

interface SessionView {
  id: string;
  state: string;
  expiresAt: number;
}
interface TaskView {
  id: string;
  session: string;
  state: string;
  status: string;
}
type ErrorBody = { error: { code: string; message: string } };

const task = (session: string) =>
  call<TaskView & ErrorBody>(stack.gw, auth, 'POST', `/api/projects/${project}/tasks`, {
    prompt: 'hello',
    script: [{ text: 'done' }],
    session,
  });

describe('tasks in an expired session over REST', () => {
  it('answers 410 MOE_ERR_SESSION_EXPIRED until the session is renewed, then runs the task', async () => {
    const opened = await call<SessionView>(stack.gw, auth, 'POST', `/api/workspaces/${ws}/sessions`, {
      leaseMs: 1,
    });
    expect(opened.status).toBe(201);
    const id = opened.body.id;
    // the lease is decided on MOE_CMD's clock (the same wall clock here): wait until it is past
    await eventually(async () => (Date.now() > opened.body.expiresAt + 1 ? true : undefined));

    const refused = await task(id);
    expect(refused.status).toBe(410);
    expect(refused.body.error.code).toBe('MOE_ERR_SESSION_EXPIRED');
    expect((await call<SessionView>(stack.gw, auth, 'GET', `/api/sessions/${id}`)).body.state).toBe(
      'expired',
    );
    const listed = await call<{ tasks: TaskView[] }>(stack.gw, auth, 'GET', `/api/projects/${project}/tasks`);
    expect(listed.body.tasks).toEqual([]); // no agent ran

    const renewed = await call<SessionView>(stack.gw, auth, 'POST', `/api/sessions/${id}/renew`, {
      leaseMs: 3600_000,
    });
    expect(renewed.body.state).toBe('active');
    const accepted = await task(id);
    expect(accepted.status).toBe(202);
    expect(accepted.body.session).toBe(id);
    const done = await eventually(async () => {
      const t = await call<TaskView>(stack.gw, auth, 'GET', `/api/tasks/${accepted.body.id}`);
      return t.body.status === 'done' ? t.body : undefined;
    });
    expect(done.state).toBe('done');
  });

  it('answers 409 for a closed session and 404 for one never opened', async () => {
    const opened = await call<SessionView>(stack.gw, auth, 'POST', `/api/workspaces/${ws}/sessions`, {});
    await call(stack.gw, auth, 'POST', `/api/sessions/${opened.body.id}/close`, {});
    const closed = await task(opened.body.id);
    expect(closed.status).toBe(409);
    expect(closed.body.error.code).toBe('MOE_ERR_CONFLICT');
    const never = await task(`${ws}-s${'0'.repeat(16)}`);
    expect(never.status).toBe(404);
  });
});
