/**
 * End to end over a real port: submit a task with the scripted provider through REST, watch it
 * over WebSocket, drop the socket mid-run and resume with `since`: every record arrives once.
 * Also: sessions open/renew/close, SSE replay of a finished run, usage and metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startGateway, type StartedGateway } from '../../gateway/index.js';
import { eventually } from '../harness/index.js';
import {
  call,
  JWT_SECRET,
  registerAndLogin,
  startStack,
  type Stack,
  METRICS_TOKEN,
} from './gateway.fixture.js';

let stack: Stack;
let live: StartedGateway;
let auth: { authorization: string };
let token: string;
let ws: string;
let project: string;

beforeAll(async () => {
  stack = await startStack();
  live = await startGateway({
    nc: stack.nc,
    jwtSecret: JWT_SECRET,
    logger: false,
    port: 0,
    host: '127.0.0.1',
  });
  const u = await registerAndLogin(stack.gw, 'runner');
  auth = u.auth;
  token = u.token;
  const org = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/orgs', { name: 'Run' })).body.id;
  ws = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/workspaces', { org, name: 'w' })).body.id;
  project = (
    await call<{ id: string }>(stack.gw, auth, 'POST', `/api/workspaces/${ws}/projects`, { name: 'p' })
  ).body.id;
});
afterAll(async () => {
  await live?.close();
  await stack?.stop();
});

const slowScript = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    text: `step ${i}`,
    delayMs: 80,
    toolCalls: i < n - 1 ? [{ name: 'list_files', input: { path: '.' } }] : [],
  }));

interface Ev {
  seq: number;
  events: { type: string }[];
}

function collect(url: string, onEvent: (ev: Ev, socket: WebSocket) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.on('open', () => resolve(socket));
    socket.on('error', reject);
    socket.on('message', (data) => onEvent(JSON.parse((data as Buffer).toString()) as Ev, socket));
  });
}

describe('tasks and streams', () => {
  it('a submitted task completes with the scripted provider and can be read back', async () => {
    const sub = await call<{ id: string; state: string }>(
      stack.gw,
      auth,
      'POST',
      `/api/projects/${project}/tasks`,
      {
        prompt: 'say hi',
        script: [{ text: 'hi' }],
      },
    );
    expect(sub.status).toBe(202);
    const done = await eventually(async () => {
      const t = await call<{ status: string; result: string | null }>(
        stack.gw,
        auth,
        'GET',
        `/api/tasks/${sub.body.id}`,
      );
      return t.body.status === 'done' ? t.body : undefined;
    });
    expect(done.result).toBe('hi');
    const list = await call<{ tasks: { id: string }[] }>(
      stack.gw,
      auth,
      'GET',
      `/api/projects/${project}/tasks`,
    );
    expect(list.body.tasks.map((t) => t.id)).toContain(sub.body.id);
  });

  it('a WebSocket client that disconnects mid-run and resumes with since sees every record once', async () => {
    const sub = await call<{ id: string }>(stack.gw, auth, 'POST', `/api/projects/${project}/tasks`, {
      prompt: 'work',
      script: slowScript(5),
    });
    expect(sub.status).toBe(202);
    const base = `${live.url.replace('http', 'ws')}/api/tasks/${sub.body.id}/stream?access_token=${token}`;
    const seen: Ev[] = [];
    const first = await collect(base, (ev, socket) => {
      seen.push(ev);
      if (seen.length === 3) socket.terminate();
    });
    await new Promise((r) => first.once('close', r));
    const cut = seen.length;
    expect(cut).toBeGreaterThanOrEqual(3);
    let finished = false;
    const second = await collect(`${base}&since=${seen[seen.length - 1]!.seq}`, (ev) => {
      seen.push(ev);
      if (ev.events.some((e) => e.type === 'task.completed')) finished = true;
    });
    await eventually(() => (finished ? true : undefined), { what: 'task.completed on the resumed stream' });
    second.close();
    const seqs = seen.map((e) => e.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    // nothing missing: the full replay from the start has exactly these records
    const replay: Ev[] = [];
    const third = await collect(base, (ev) => replay.push(ev));
    await eventually(() => (replay.length >= seqs.length ? true : undefined));
    third.close();
    expect(replay.map((e) => e.seq)).toEqual(seqs);
  });

  it('SSE replays a finished run from the start and resumes from Last-Event-ID', async () => {
    const sub = await call<{ id: string }>(stack.gw, auth, 'POST', `/api/projects/${project}/tasks`, {
      prompt: 'p',
      script: [{ text: 'done' }],
    });
    await eventually(async () =>
      (await call<{ status: string }>(stack.gw, auth, 'GET', `/api/tasks/${sub.body.id}`)).body.status ===
      'done'
        ? true
        : undefined,
    );
    const ctrl = new AbortController();
    const res = await fetch(`${live.url}/api/tasks/${sub.body.id}/stream`, {
      headers: auth,
      signal: ctrl.signal,
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('task.completed'))
      text += new TextDecoder().decode((await reader.read()).value as Uint8Array);
    ctrl.abort();
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids.length).toBeGreaterThanOrEqual(2);
    const ctrl2 = new AbortController();
    const res2 = await fetch(`${live.url}/api/tasks/${sub.body.id}/stream`, {
      headers: { ...auth, 'last-event-id': String(ids[0]) },
      signal: ctrl2.signal,
    });
    const r2 = res2.body!.getReader();
    let text2 = '';
    while (!text2.includes('task.completed'))
      text2 += new TextDecoder().decode((await r2.read()).value as Uint8Array);
    ctrl2.abort();
    const ids2 = [...text2.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids2).toEqual(ids.slice(1));
  });

  it('a session opens, renews, closes, and a closed session cannot be renewed', async () => {
    const opened = await call<{ id: string; state: string; expiresAt: number }>(
      stack.gw,
      auth,
      'POST',
      `/api/workspaces/${ws}/sessions`,
      { title: 't' },
    );
    expect(opened.status).toBe(201);
    expect(opened.body.state).toBe('active');
    const renewed = await call<{ expiresAt: number }>(
      stack.gw,
      auth,
      'POST',
      `/api/sessions/${opened.body.id}/renew`,
      { leaseMs: 3600_000 },
    );
    expect(renewed.status).toBe(200);
    expect(
      (await call<{ state: string }>(stack.gw, auth, 'POST', `/api/sessions/${opened.body.id}/close`)).body
        .state,
    ).toBe('closed');
    const again = await call<{ error: { code: string } }>(
      stack.gw,
      auth,
      'POST',
      `/api/sessions/${opened.body.id}/renew`,
    );
    expect(again.status).toBe(409);
    expect(
      (await call<{ state: string }>(stack.gw, auth, 'GET', `/api/sessions/${opened.body.id}`)).body.state,
    ).toBe('closed');
  });

  it('usage sums the tokens of finished runs and metrics count them', async () => {
    const org = (await call<{ orgs: { id: string }[] }>(stack.gw, auth, 'GET', '/api/orgs')).body.orgs[0]!.id;
    const usage = await call<{ total: { runs: number; inputTokens: number } }>(
      stack.gw,
      auth,
      'GET',
      `/api/usage?org=${org}&project=${project}`,
    );
    expect(usage.status).toBe(200);
    expect(usage.body.total.runs).toBeGreaterThanOrEqual(3);
    const metrics = await stack.gw.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(metrics.body).toContain('moe_agent_runs_total{status="completed"');
    expect(metrics.body).toContain('moe_http_request_duration_seconds_bucket');
  });
});
