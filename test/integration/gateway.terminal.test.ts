/**
 * The card terminal (`WS /api/cards/:id/terminal`) over a real port, with plain `ws` clients: the
 * test plays the card actor (its journal entries on MOE_EVT) and runs real agent tasks on the
 * scripted provider for the agents its `run.started` events name. A client that follows a run while
 * it streams, disconnects and resumes by cursor gets every journal message exactly once (the same
 * messages, in the same order, as a replay of the whole card) plus live token deltas; filters by
 * level and source; `realtime=0` replays and closes; other tenants and unknown cards get 404.
 * Also: the existing WS streams carry token deltas only when asked (`deltas=1`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startGateway, type StartedGateway } from '../../gateway/index.js';
import { newCardId, newTaskId } from '../../gateway/crypto.js';
import { jetstream } from '@nats-io/jetstream';
import { eventually } from '../harness/index.js';
import { call, JWT_SECRET, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';
import {
  CardPlayer,
  isDelta,
  journalFrames,
  openTerminal,
  type Frame,
  type TerminalClient,
} from './gateway.terminal.kit.js';

let stack: Stack;
let live: StartedGateway;
let token: string;
let otherToken: string;
let ws: string;
let project: string;
let org: string;
let card: CardPlayer;

/** 40 words streamed 25 ms apart: about a second of deltas */
const LONG = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');

beforeAll(async () => {
  stack = await startStack();
  live = await startGateway({
    nc: stack.nc,
    jwtSecret: JWT_SECRET,
    logger: false,
    port: 0,
    host: '127.0.0.1',
  });
  const u = await registerAndLogin(stack.gw, 'terminal');
  token = u.token;
  org = (await call<{ id: string }>(stack.gw, u.auth, 'POST', '/api/orgs', { name: 'T' })).body.id;
  ws = (await call<{ id: string }>(stack.gw, u.auth, 'POST', '/api/workspaces', { org, name: 'w' })).body.id;
  project = (
    await call<{ id: string }>(stack.gw, u.auth, 'POST', `/api/workspaces/${ws}/projects`, { name: 'p' })
  ).body.id;
  const other = await registerAndLogin(stack.gw, 'other');
  otherToken = other.token;
  await call(stack.gw, other.auth, 'POST', '/api/orgs', { name: 'O' });
  await eventually(() => (live.ctx.tenancy.projects.has(project) ? true : undefined));
  card = new CardPlayer(jetstream(stack.nc), stack.gw.ctx.bus, org, ws, project, newCardId(ws, project));
  await card.write('card.create', [
    { type: 'card.created', board: 'b', project, lane: 'todo', position: 0, title: 'Write the docs' },
  ]);
  await card.write('card.move', [{ type: 'card.moved', from: 'todo', to: 'doing', position: 0 }]);
}, 30_000);
afterAll(async () => {
  await live?.close();
  await stack?.stop();
});

const url = (id: string, query = '', t = token) =>
  `${live.url.replace('http', 'ws')}/api/cards/${id}/terminal?access_token=${t}${query}`;

async function opened(u: string): Promise<TerminalClient> {
  const c = await openTerminal(u);
  if (typeof c === 'number') throw new Error(`upgrade refused: ${c}`);
  return c;
}

const done = async (task: { org: string; ws: string; kind: string; id: string }) =>
  eventually(async () => {
    const last = await stack.gw.ctx.bus.lastRecord(task);
    return last?.rec.status === 'done' ? last : undefined;
  });

const hasStatus = (fs: Frame[], runId: string, status: string) =>
  fs.some((f) => f.type === 'status' && f.data.runId === runId && f.data.status === status);

/** The whole card as a replay-only client sees it. */
async function replayAll(query = ''): Promise<{ frames: Frame[]; code: number }> {
  const c = await opened(url(card.id, `&realtime=0${query}`));
  const code = await c.closed;
  return { frames: c.frames, code };
}

describe('card terminal', () => {
  it('a ws client follows a run while it streams, disconnects, resumes by cursor, and gets nothing lost or duplicated', async () => {
    const first = await opened(url(card.id));
    await eventually(() =>
      first.frames.some((f) => f.data.message === 'card moved from todo to doing') ? true : undefined,
    );

    const task1 = await card.startRun('r1', 0, 'writer', [{ text: LONG, chunkDelayMs: 25 }]);
    // cut the connection while the agent is streaming
    await eventually(() => (first.frames.some(isDelta) ? true : undefined), { what: 'a live token delta' });
    await first.close();
    const seen = journalFrames(first.frames);
    const cursor = seen.at(-1)!.cursor!;

    const second = await opened(url(card.id, `&since=${cursor}`));
    await done(task1);
    await card.finishRun('r1', 0, 'writer', task1, 'completed');
    const task2 = await card.startRun('r2', 1, 'reviewer', [{ text: 'looks good to me', chunkDelayMs: 20 }]);
    await done(task2);
    await card.finishRun('r2', 1, 'reviewer', task2, 'completed');
    await eventually(() => (hasStatus(second.frames, 'r2', 'completed') ? true : undefined));
    await second.close();

    const { frames: all, code } = await replayAll();
    expect(code).toBe(1000);
    const followed = [...seen, ...journalFrames(second.frames)];
    const cursors = followed.map((f) => f.cursor);
    expect(new Set(cursors).size).toBe(cursors.length); // nothing twice
    expect(followed).toEqual(all); // nothing lost: the same messages, in order, as the whole replay
    // the protocol's four kinds of content are there: logs of both sources, statuses, metrics
    expect(hasStatus(all, 'r1', 'running') && hasStatus(all, 'r1', 'completed')).toBe(true);
    expect(
      all.some((f) => f.type === 'metrics' && f.data.runId === 'r1' && Number(f.data.outputTokens) > 0),
    ).toBe(true);
    const reply = all.find((f) => f.type === 'log' && f.data.source === 'agent' && f.data.message === LONG);
    expect(reply?.data.runId).toBe('r1');
    // live deltas were of run r1's text, and carry no cursor (never replayed)
    const deltas = [...first.frames, ...second.frames].filter(isDelta);
    expect(deltas.every((d) => d.cursor === undefined && d.data.runId !== null)).toBe(true);
    expect(
      LONG.startsWith(
        first.frames
          .filter(isDelta)
          .map((d) => d.data.message)
          .join(''),
      ),
    ).toBe(true);
    expect(all.some(isDelta)).toBe(false);
  });

  it('filters by level and source show exactly the matching messages', async () => {
    const { frames: all } = await replayAll();
    const logs = all.filter((f) => f.type === 'log');
    const orchestrator = (await replayAll('&source=orchestrator')).frames;
    expect(orchestrator.length).toBeGreaterThan(0);
    expect(orchestrator.filter((f) => f.type === 'log')).toEqual(
      logs.filter((f) => f.data.source === 'orchestrator'),
    );
    expect(orchestrator.some((f) => f.type === 'status')).toBe(true);
    const provider = (await replayAll('&source=provider')).frames;
    expect(provider.length).toBeGreaterThan(0);
    expect(provider.every((f) => f.type === 'metrics')).toBe(true);
    const debug = (await replayAll('&level=debug')).frames;
    expect(debug).toEqual(logs.filter((f) => f.data.level === 'debug'));
    const agentInfo = (await replayAll('&level=info&source=agent')).frames;
    expect(agentInfo).toEqual(logs.filter((f) => f.data.level === 'info' && f.data.source === 'agent'));
    expect(agentInfo.length).toBeLessThan(all.length);
  });

  it('realtime=0 sends what the journal holds and closes; a later entry is not sent', async () => {
    const c = await opened(url(card.id, '&realtime=0'));
    expect(await c.closed).toBe(1000);
    const before = c.frames.length;
    await card.write('card.update', [{ type: 'card.updated', title: 'Write better docs' }]);
    expect(before).toBeGreaterThan(0);
    expect(c.frames.length).toBe(before);
    expect(c.frames.some((f) => f.data.message === 'card updated')).toBe(false);
    const { frames } = await replayAll();
    expect(frames.at(-1)?.data.message).toBe('card updated');
  });

  it('another tenant, an unknown card and a malformed id get 404 before any upgrade; a plain GET 426', async () => {
    expect(await openTerminal(url(card.id, '', otherToken))).toBe(404);
    expect(await openTerminal(url(newCardId(ws, project)))).toBe(404);
    expect(await openTerminal(url('not-a-card'))).toBe(404);
    expect(await openTerminal(url(card.id, '&level=loud'))).toBe(400);
    const res = await fetch(`${live.url}/api/cards/${card.id}/terminal?access_token=${token}`);
    expect(res.status).toBe(426);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('MOE_ERR_UPGRADE_REQUIRED');
  });
});

describe('token deltas on the existing streams', () => {
  it('a task stream carries live deltas only with deltas=1, and they add up to the reply', async () => {
    const task = { org, ws, kind: 'agent', id: newTaskId(ws, project) };
    const base = `${live.url.replace('http', 'ws')}/api/tasks/${task.id}/stream?access_token=${token}`;
    const collect = (u: string) =>
      new Promise<{ msgs: Record<string, unknown>[]; socket: WebSocket }>((resolve, reject) => {
        const socket = new WebSocket(u);
        const msgs: Record<string, unknown>[] = [];
        socket.on('message', (d) =>
          msgs.push(JSON.parse((d as Buffer).toString()) as Record<string, unknown>),
        );
        socket.on('open', () => resolve({ msgs, socket }));
        socket.on('error', reject);
      });
    // the task's journal must exist before its stream opens (404 otherwise): the agent first waits
    // for approval of a tool call, the streams open and show its first turn (their delta
    // subscriptions are then in place), and only then the approval lets the streaming step run
    await stack.gw.ctx.bus.request(
      task,
      'task.submit',
      {
        prompt: 'stream me',
        script: [
          { toolCalls: [{ name: 'list_files', input: { path: '.' } }] },
          { text: LONG, chunkDelayMs: 25 },
        ],
        approvalRequired: ['list_files'],
        project,
      },
      { id: `${task.id}-submit` },
    );
    const withDeltas = await collect(`${base}&deltas=1`);
    const without = await collect(base);
    const sseText: string[] = [];
    const sse = fetch(`${live.url}/api/tasks/${task.id}/stream?access_token=${token}&deltas=1`).then(
      async (res) => {
        const reader = res.body!.getReader();
        while (!sseText.join('').includes('task.completed') || !sseText.join('').endsWith('\n\n'))
          sseText.push(new TextDecoder().decode((await reader.read()).value as Uint8Array));
        await reader.cancel();
        return sseText.join('');
      },
    );
    const waiting = (m: Record<string, unknown>[]) =>
      m.some((x) => String(x.state).includes('awaiting_approval')) ? true : undefined;
    await eventually(() => waiting(withDeltas.msgs) && waiting(without.msgs));
    await eventually(() => (sseText.join('').includes('awaiting_approval') ? true : undefined));
    await stack.gw.ctx.bus.request(task, 'task.approve', {}, { id: `${task.id}-approve` });
    const completed = (m: Record<string, unknown>[]) =>
      m.some((x) => (x.events as { type: string }[] | undefined)?.some((e) => e.type === 'task.completed'));
    await eventually(() => (completed(withDeltas.msgs) && completed(without.msgs) ? true : undefined));
    withDeltas.socket.close();
    without.socket.close();
    const deltas = withDeltas.msgs.filter((m) => m.type === 'delta');
    expect(deltas.length).toBeGreaterThan(1); // streamed in several coalesced pieces
    expect(deltas.map((d) => d.text).join('')).toBe(LONG);
    expect(deltas.every((d) => (d.actor as { id: string }).id === task.id && d.step === 1)).toBe(true);
    expect(without.msgs.filter((m) => m.type === 'delta')).toEqual([]);
    // coalesced: fewer messages than the 40 chunks the provider streamed
    expect(deltas.length).toBeLessThan(40);
    // SSE: `event: delta` frames without an id, so Last-Event-ID stays the last turn's cursor
    const frames = (await sse).split('\n\n').filter((f) => f.startsWith('event: delta'));
    expect(frames.length).toBeGreaterThan(1);
    expect(frames.every((f) => !/^id:/m.test(f))).toBe(true);
    const sseDeltas = frames
      .map((f) => (JSON.parse(f.split('\ndata: ')[1]!) as { text: string }).text)
      .join('');
    expect(sseDeltas).toBe(LONG);
  });

  it('a workspace stream with deltas=1 carries the deltas of its agents', async () => {
    const socket = new WebSocket(
      `${live.url.replace('http', 'ws')}/api/workspaces/${ws}/events?access_token=${token}&deltas=1`,
    );
    const msgs: Record<string, unknown>[] = [];
    socket.on('message', (d) => msgs.push(JSON.parse((d as Buffer).toString()) as Record<string, unknown>));
    await new Promise((r) => socket.once('open', r));
    // a first task's turn arriving shows the stream (and its delta subscription) is in place
    const warmup = { org, ws, kind: 'agent', id: newTaskId(ws, project) };
    await stack.gw.ctx.bus.request(
      warmup,
      'task.submit',
      { prompt: 'w', script: [{ text: 'ok' }], project },
      {
        id: `${warmup.id}-submit`,
      },
    );
    await eventually(() =>
      msgs.some((m) => (m.actor as { id: string }).id === warmup.id) ? true : undefined,
    );
    const task = { org, ws, kind: 'agent', id: newTaskId(ws, project) };
    await stack.gw.ctx.bus.request(
      task,
      'task.submit',
      { prompt: 'ws deltas', script: [{ text: 'alpha beta gamma delta', chunkDelayMs: 30 }], project },
      { id: `${task.id}-submit` },
    );
    await eventually(() =>
      msgs.some(
        (m) =>
          (m.actor as { id: string }).id === task.id &&
          (m.events as { type: string }[] | undefined)?.some((e) => e.type === 'task.completed'),
      )
        ? true
        : undefined,
    );
    socket.close();
    const deltas = msgs.filter((m) => m.type === 'delta' && (m.actor as { id: string }).id === task.id);
    expect(deltas.map((d) => d.text).join('')).toBe('alpha beta gamma delta');
  });
});
