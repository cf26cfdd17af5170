/**
 * The board projection on a real nats-server and workspace-node: board and card routes (create,
 * move, read, list, update, runs) answer from the projection without a single journal replay
 * (`bus.records` / `bus.awaitTurn` are counted on the gateway's real bus), their answers equal the
 * fold of the actor's whole journal, and a second gateway started on the same NATS rebuilds the
 * same views from the journal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway } from '../../gateway/index.js';
import { boardView, cardView, type CardView } from '../../gateway/boardViews.js';
import { call, JWT_SECRET, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

let stack: Stack;
let auth: { authorization: string };
let project: string;
let board: string;
let org: string;
let ws: string;

beforeAll(async () => {
  stack = await startStack();
  auth = (await registerAndLogin(stack.gw, 'proj')).auth;
  org = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/orgs', { name: 'P' })).body.id;
  ws = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/workspaces', { org, name: 'w' })).body.id;
  project = (
    await call<{ id: string }>(stack.gw, auth, 'POST', `/api/workspaces/${ws}/projects`, { name: 'p' })
  ).body.id;
  const b = await call<{ id: string }>(stack.gw, auth, 'POST', `/api/projects/${project}/boards`, {
    name: 'B',
    lanes: ['a', 'b', 'c'].map((id) => ({ id, name: id })),
  });
  expect(b.status).toBe(201);
  board = b.body.id;
}, 60_000);
afterAll(async () => stack?.stop());

describe('board projection', () => {
  it('moves and reads cards without replaying a journal, and answers what the journal folds to', async () => {
    const bus = stack.gw.ctx.bus;
    const replays: string[] = [];
    const records = bus.records.bind(bus);
    const awaitTurn = bus.awaitTurn.bind(bus);
    Object.assign(bus, {
      records: (addr: { kind: string; id: string }) => {
        if (addr.kind === 'card' || addr.kind === 'board') replays.push(`records ${addr.kind}`);
        return records(addr as never);
      },
      awaitTurn: (addr: { kind: string; id: string }, ...rest: unknown[]) => {
        if (addr.kind === 'card' || addr.kind === 'board') replays.push(`awaitTurn ${addr.kind}`);
        return (awaitTurn as (...a: unknown[]) => unknown)(addr, ...rest);
      },
    });
    const ids: string[] = [];
    try {
      for (const title of ['one', 'two', 'three']) {
        const c = await call<CardView>(stack.gw, auth, 'POST', `/api/projects/${project}/cards`, {
          board,
          lane: 'a',
          title,
        });
        expect(c.status).toBe(201);
        expect(c.body).toMatchObject({ lane: 'a', title });
        ids.push(c.body.id);
      }
      for (let i = 0; i < 6; i++) {
        const lane = ['b', 'c', 'a'][i % 3]!;
        const m = await call<CardView>(stack.gw, auth, 'PUT', `/api/cards/${ids[0]}/move`, {
          lane,
          position: 0,
        });
        expect(m.status).toBe(200);
        expect(m.body).toMatchObject({ lane, position: 0 });
      }
      const upd = await call<CardView>(stack.gw, auth, 'PUT', `/api/cards/${ids[1]}`, { title: 'TWO' });
      expect(upd.body.title).toBe('TWO');
      expect((await call(stack.gw, auth, 'GET', `/api/cards/${ids[2]}/runs`)).status).toBe(200);
      const got = await call<{ lanes: { id: string; cards: string[] }[] }>(
        stack.gw,
        auth,
        'GET',
        `/api/boards/${board}`,
      );
      expect(got.body.lanes.find((l) => l.id === 'a')!.cards).toEqual([ids[0], ids[1], ids[2]]);
      const list = await call<{ boards: { id: string }[] }>(
        stack.gw,
        auth,
        'GET',
        `/api/projects/${project}/boards`,
      );
      expect(list.body.boards.map((b) => b.id)).toEqual([board]);
    } finally {
      Object.assign(bus, { records, awaitTurn });
    }
    expect(replays).toEqual([]);

    // the projection's answers are the fold of each actor's whole journal
    for (const id of ids) {
      const addr = { org, ws, kind: 'card', id };
      const folded = cardView(id, addr, await bus.records(addr));
      expect((await call<CardView>(stack.gw, auth, 'GET', `/api/cards/${id}`)).body).toEqual(folded);
    }
    const baddr = { org, ws, kind: 'board', id: board };
    const foldedBoard = boardView(board, ws, await bus.records(baddr));
    expect((await call(stack.gw, auth, 'GET', `/api/boards/${board}`)).body).toEqual(foldedBoard);
  }, 40_000);

  it('a gateway started later rebuilds the same views from the journal', async () => {
    const second = await buildGateway({ nc: stack.nc, jwtSecret: JWT_SECRET, logger: false });
    try {
      const a = stack.gw.ctx.boards.board(board);
      expect(a).not.toBeNull();
      expect(second.ctx.boards.board(board)).toEqual(a);
      for (const id of a!.lanes.flatMap((l) => l.cards))
        expect(second.ctx.boards.card(id)).toEqual(stack.gw.ctx.boards.card(id));
      expect(second.ctx.boards.boardsOf(project).map((b) => b.id)).toEqual([board]);
    } finally {
      await second.close();
    }
  }, 30_000);
});
