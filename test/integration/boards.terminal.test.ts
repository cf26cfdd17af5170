/**
 * The card terminal against a live card workflow (no stand-in for the card actor): a real card,
 * made and moved through the REST routes, enters an autoTrigger lane whose 2-agent sequence runs on
 * the scripted provider with `chunkDelayMs`; a plain `ws` client follows `WS /api/cards/:id/terminal`
 * while the first agent streams, disconnects mid-stream, resumes by cursor, and ends with every
 * journal message exactly once — the same messages, in the same order, as a replay of the whole
 * card — plus live token deltas of the streaming run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type StartedGateway } from '../../gateway/index.js';
import type { CardView } from '../../gateway/boardViews.js';
import { eventually } from '../harness/index.js';
import { call, JWT_SECRET, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';
import {
  isDelta,
  journalFrames,
  openTerminal,
  type Frame,
  type TerminalClient,
} from './gateway.terminal.kit.js';

let stack: Stack;
let live: StartedGateway;
let token: string;
let auth: { authorization: string };
let project: string;
let board: string;

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
  const u = await registerAndLogin(stack.gw, 'liveterm');
  token = u.token;
  auth = u.auth;
  const org = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/orgs', { name: 'L' })).body.id;
  const ws = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/workspaces', { org, name: 'w' })).body
    .id;
  project = (
    await call<{ id: string }>(stack.gw, auth, 'POST', `/api/workspaces/${ws}/projects`, { name: 'p' })
  ).body.id;
  const cfg = await call(stack.gw, auth, 'PUT', `/api/projects/${project}/agent-config`, {
    agents: [],
    workflows: {
      doing: {
        autoTrigger: 'writer',
        sequence: ['writer', 'reviewer'],
        exitLane: 'done',
        scripts: {
          writer: [{ text: LONG, chunkDelayMs: 25 }],
          reviewer: [{ text: 'looks good to me', chunkDelayMs: 20 }],
        },
      },
    },
  });
  expect(cfg.status).toBe(200);
  board = (
    await call<{ id: string }>(stack.gw, auth, 'POST', `/api/projects/${project}/boards`, {
      name: 'B',
      lanes: ['todo', 'doing', 'done'].map((id) => ({ id, name: id })),
    })
  ).body.id;
  await eventually(() => (live.ctx.tenancy.projects.has(project) ? true : undefined));
}, 60_000);
afterAll(async () => {
  await live?.close();
  await stack?.stop();
});

const url = (id: string, query = '') =>
  `${live.url.replace('http', 'ws')}/api/cards/${id}/terminal?access_token=${token}${query}`;

async function opened(u: string): Promise<TerminalClient> {
  const c = await openTerminal(u);
  if (typeof c === 'number') throw new Error(`upgrade refused: ${c}`);
  return c;
}

const hasStatus = (fs: Frame[], runId: string, status: string) =>
  fs.some((f) => f.type === 'status' && f.data.runId === runId && f.data.status === status);

describe('card terminal on a live card workflow', () => {
  it('follows a streaming run of a real card, disconnects, resumes by cursor: nothing lost or duplicated', async () => {
    const card = (
      await call<CardView>(stack.gw, auth, 'POST', `/api/projects/${project}/cards`, {
        board,
        lane: 'todo',
        title: 'Write the docs',
      })
    ).body;
    const first = await opened(url(card.id));
    await eventually(() => (journalFrames(first.frames).length > 0 ? true : undefined), {
      what: 'the card created message',
    });
    expect((await call(stack.gw, auth, 'PUT', `/api/cards/${card.id}/move`, { lane: 'doing' })).status).toBe(
      200,
    );
    // cut the connection while the writer is streaming
    await eventually(() => (first.frames.some(isDelta) ? true : undefined), {
      timeoutMs: 30_000,
      what: 'a live token delta',
    });
    await first.close();
    const seen = journalFrames(first.frames);
    const cursor = seen.at(-1)!.cursor!;

    const second = await opened(url(card.id, `&since=${cursor}`));
    await eventually(
      async () =>
        (await call<CardView>(stack.gw, auth, 'GET', `/api/cards/${card.id}`)).body.lane === 'done'
          ? true
          : undefined,
      { timeoutMs: 45_000, what: 'the card in its exit lane' },
    );
    await eventually(() => (hasStatus(second.frames, 'w1s1a0', 'completed') ? true : undefined), {
      timeoutMs: 20_000,
      what: 'the reviewer run completed in the terminal',
    });
    await second.close();

    const replay = await opened(url(card.id, '&realtime=0'));
    expect(await replay.closed).toBe(1000);
    const all = replay.frames;
    const followed = [...seen, ...journalFrames(second.frames)];
    const cursors = followed.map((f) => f.cursor);
    expect(new Set(cursors).size).toBe(cursors.length); // nothing twice
    expect(followed).toEqual(all); // nothing lost: the same messages, in order, as the whole replay
    expect(hasStatus(all, 'w1s0a0', 'completed') && hasStatus(all, 'w1s1a0', 'completed')).toBe(true);
    const reply = all.find((f) => f.type === 'log' && f.data.source === 'agent' && f.data.message === LONG);
    expect(reply?.data.runId).toBe('w1s0a0');
    // the live deltas were the writer's text as it streamed, never replayed
    const deltas = first.frames.filter(isDelta);
    expect(deltas.length).toBeGreaterThan(0);
    expect(deltas.every((d) => d.cursor === undefined && d.data.runId === 'w1s0a0')).toBe(true);
    expect(LONG.startsWith(deltas.map((d) => d.data.message).join(''))).toBe(true);
    expect(all.some(isDelta)).toBe(false);
  }, 90_000);
});
