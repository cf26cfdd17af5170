/**
 * Live streams over a real port: a workspace stream without `since` starts at new records (no
 * replay of the workspace's history), each caller may hold a bounded number of streams, closed
 * streams delete their consumers, an impossible `since` is a 400, and SSE frames are default
 * `message` events that an EventSource's `onmessage` receives (checked with a parser that follows
 * the HTML SSE rules).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startGateway, type StartedGateway } from '../../gateway/index.js';
import { STREAMS } from '../../schemas/index.js';
import { eventually } from '../harness/index.js';
import { call, JWT_SECRET, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

const CAP = 2;
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
    maxStreamsPerPrincipal: CAP,
  });
  const u = await registerAndLogin(stack.gw, 'streamer');
  auth = u.auth;
  token = u.token;
  const org = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/orgs', { name: 'S' })).body.id;
  ws = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/workspaces', { org, name: 'w' })).body.id;
  project = (
    await call<{ id: string }>(stack.gw, auth, 'POST', `/api/workspaces/${ws}/projects`, { name: 'p' })
  ).body.id;
  await eventually(() => (live.ctx.tenancy.projects.has(project) ? true : undefined));
});
afterAll(async () => {
  await live?.close();
  await stack?.stop();
});

interface Ev {
  seq: number;
  actor: { kind: string; id: string };
  events: { type: string }[];
}

const wsUrl = (query = '') =>
  `${live.url.replace('http', 'ws')}/api/workspaces/${ws}/events?access_token=${token}${query}`;

/** Opens a WebSocket; resolves with it once open, or with the HTTP status that refused the upgrade. */
function openSocket(url: string, onEvent: (ev: Ev) => void = () => undefined): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.on('open', () => resolve(socket));
    socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    socket.on('error', reject);
    socket.on('message', (data) => onEvent(JSON.parse((data as Buffer).toString()) as Ev));
  });
}

async function closeSocket(s: WebSocket): Promise<void> {
  if (s.readyState === s.CLOSED) return;
  await new Promise((r) => {
    s.once('close', r);
    s.close();
  });
}

async function submitAndFinish(text: string): Promise<string> {
  const sub = await call<{ id: string }>(stack.gw, auth, 'POST', `/api/projects/${project}/tasks`, {
    prompt: text,
    script: [{ text, delayMs: 200 }],
  });
  expect(sub.status).toBe(202);
  await eventually(async () =>
    (await call<{ status: string }>(stack.gw, auth, 'GET', `/api/tasks/${sub.body.id}`)).body.status ===
    'done'
      ? true
      : undefined,
  );
  return sub.body.id;
}

async function eventConsumers(): Promise<number> {
  let n = 0;
  for await (const _ of stack.gw.ctx.bus.jsm.consumers.list(STREAMS.events)) n++;
  return n;
}

/** Events as an HTML EventSource dispatches them (type defaults to "message"; `onmessage` sees only those). */
function parseSse(text: string): { type: string; data: string; lastEventId: string }[] {
  const out: { type: string; data: string; lastEventId: string }[] = [];
  let type = '';
  let data: string[] = [];
  let lastEventId = '';
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') {
      if (data.length > 0) out.push({ type: type || 'message', data: data.join('\n'), lastEventId });
      type = '';
      data = [];
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') lastEventId = value;
  }
  return out;
}

describe('live streams', () => {
  it('a workspace stream without since sends only records journaled after it opened', async () => {
    const earlier = await submitAndFinish('before');
    const lastBefore = (await stack.gw.ctx.bus.jsm.streams.info(STREAMS.events)).state.last_seq;
    const seen: Ev[] = [];
    const socket = await openSocket(wsUrl(), (ev) => seen.push(ev));
    if (typeof socket === 'number') throw new Error(`upgrade refused: ${socket}`);
    // the consumer starts at "new" once the socket is open; give it a moment to exist
    await new Promise((r) => setTimeout(r, 300));
    const later = await submitAndFinish('after');
    await eventually(() =>
      seen.some((e) => e.actor.id === later && e.events.some((x) => x.type === 'task.completed'))
        ? true
        : undefined,
    );
    await closeSocket(socket);
    expect(seen.filter((e) => e.actor.id === earlier)).toEqual([]);
    expect(seen.every((e) => e.seq > lastBefore)).toBe(true);
    // asking for history explicitly still replays it
    const replay: Ev[] = [];
    const again = await openSocket(wsUrl('&from=start'), (ev) => replay.push(ev));
    if (typeof again === 'number') throw new Error(`upgrade refused: ${again}`);
    await eventually(() => (replay.some((e) => e.actor.id === earlier) ? true : undefined));
    await closeSocket(again);
  });

  it('one stream more than the cap is refused with 429 and a code, and a closed stream frees its slot', async () => {
    const open: WebSocket[] = [];
    for (let i = 0; i < CAP; i++) {
      const s = await openSocket(wsUrl());
      if (typeof s === 'number') throw new Error(`upgrade ${i} refused: ${s}`);
      open.push(s);
    }
    expect(await openSocket(wsUrl())).toBe(429);
    const sse = await fetch(`${live.url}/api/workspaces/${ws}/events`, { headers: auth });
    expect(sse.status).toBe(429);
    expect(((await sse.json()) as { error: { code: string } }).error.code).toBe('MOE_ERR_TOO_MANY_STREAMS');
    expect(Number(sse.headers.get('retry-after'))).toBeGreaterThan(0);
    await closeSocket(open.pop()!);
    const next = await eventually(async () => {
      const s = await openSocket(wsUrl());
      return typeof s === 'number' ? undefined : s;
    });
    await closeSocket(next);
    await Promise.all(open.map(closeSocket));
  });

  it('closed streams leave no consumer behind on MOE_EVT', async () => {
    const baseline = await eventually(async () => {
      const a = await eventConsumers();
      await new Promise((r) => setTimeout(r, 200));
      return a === (await eventConsumers()) ? a : undefined;
    });
    const sockets: WebSocket[] = [];
    for (let i = 0; i < CAP; i++) {
      const s = await openSocket(wsUrl());
      if (typeof s === 'number') throw new Error(`upgrade refused: ${s}`);
      sockets.push(s);
    }
    await eventually(async () => ((await eventConsumers()) >= baseline + CAP ? true : undefined));
    await Promise.all(sockets.map(closeSocket));
    await eventually(async () => ((await eventConsumers()) <= baseline ? true : undefined), {
      what: 'the consumers of closed streams to be deleted',
    });
  });

  it('a since beyond any sequence is refused with 400 and a code', async () => {
    const res = await live.app.inject({
      method: 'GET',
      url: `/api/workspaces/${ws}/events?since=99999999999999999999`,
      headers: auth,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('MOE_ERR_VALIDATION');
  });

  it("SSE frames are default message events, so EventSource's onmessage receives every turn", async () => {
    const task = await submitAndFinish('sse');
    const ctrl = new AbortController();
    const res = await fetch(`${live.url}/api/tasks/${task}/stream`, { headers: auth, signal: ctrl.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('task.completed') || !text.endsWith('\n\n'))
      text += new TextDecoder().decode((await reader.read()).value as Uint8Array);
    ctrl.abort();
    const events = parseSse(text);
    const onmessage = events.filter((e) => e.type === 'message').map((e) => JSON.parse(e.data) as Ev);
    expect(onmessage.length).toBe(events.length);
    expect(onmessage.some((e) => e.events.some((x) => x.type === 'task.completed'))).toBe(true);
    expect(events.every((e) => /^\d+$/.test(e.lastEventId))).toBe(true);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
