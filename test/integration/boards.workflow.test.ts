/**
 * Boards end to end through the gateway on a real nats-server and workspace-node: a project's lane
 * workflow (agent-config `workflows`), a board with a WIP-limited lane, a card moved into an
 * autoTrigger lane whose 3-agent sequence runs on the scripted provider and moves the card on to
 * its exit lane with the results; WIP refusals, the runs list, and tenancy (another org sees 404).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../harness/index.js';
import { call, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

let stack: Stack;
let auth: { authorization: string };
let stranger: { authorization: string };
let project: string;
let board: string;

interface Artifact {
  path: string;
  sha256: string;
  size: number;
}

interface Run {
  runId: string;
  step: number;
  agent: string;
  status: string;
  summary: string | null;
  actor: { kind: string; id: string };
  journal: string;
}
interface Card {
  id: string;
  lane: string;
  position: number;
  title: string;
  assignee: string | null;
  summary: string | null;
  blocked: { code: string } | null;
  runs: Run[];
  state: string;
  workflow: { lane: string; status: string; agents: number; agentsFinished: number; progress: number } | null;
}

const workflows = {
  plan: {
    autoTrigger: 'ceo',
    sequence: ['ceo', 'strategy', 'storyboard'],
    exitCriteria: 'blueprint_done',
    exitLane: 'build',
    scripts: {
      ceo: [{ text: 'VISION: a tiny launch' }],
      strategy: [{ text: 'STRATEGY: ship it weekly' }],
      storyboard: [{ text: 'STORYBOARD: three screens' }],
    },
  },
  write: {
    autoTrigger: 'writer',
    exitCriteria: 'file:notes/plan.md',
    exitLane: 'done',
    scripts: {
      writer: [
        { toolCalls: [{ name: 'write_file', input: { path: 'notes/plan.md', content: 'PLAN v1' } }] },
        { text: 'WROTE the plan' },
      ],
    },
  },
  spec: {
    autoTrigger: 'specwriter',
    exitCriteria: 'file:docs/spec.md',
    exitLane: 'done',
    scripts: { specwriter: [{ text: 'I only talked about the spec' }] },
  },
  prd: {
    autoTrigger: 'pm',
    cardsTo: 'backlog',
    exitCriteria: 'cards_created',
    exitLane: 'done',
    scripts: {
      pm: [
        {
          toolCalls: [
            { name: 'create_card', input: { title: 'Sign-up', description: 'email and password' } },
            { name: 'create_card', input: { title: 'Billing' } },
            // refused as their tool results (MOE_ERR_TOOL_INPUT); the run goes on
            { name: 'create_card', input: { title: '   ' } },
            { name: 'create_card', input: { title: 'Extra', colour: 'red' } },
          ],
        },
        { text: 'PRD: two MVP features' },
      ],
    },
  },
  ideas: {
    autoTrigger: 'dreamer',
    exitLane: 'done',
    scripts: {
      dreamer: [
        { toolCalls: [{ name: 'create_card', input: { title: 'Not allowed here' } }] },
        { text: 'dreamt' },
      ],
    },
  },
};

beforeAll(async () => {
  stack = await startStack();
  auth = (await registerAndLogin(stack.gw, 'boards')).auth;
  stranger = (await registerAndLogin(stack.gw, 'stranger')).auth;
  const org = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/orgs', { name: 'Works' })).body.id;
  const ws = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/workspaces', { org, name: 'w' })).body
    .id;
  project = (
    await call<{ id: string }>(stack.gw, auth, 'POST', `/api/workspaces/${ws}/projects`, { name: 'p' })
  ).body.id;
  await call(stack.gw, stranger, 'POST', '/api/orgs', { name: 'Other' });
  const cfg = await call(stack.gw, auth, 'PUT', `/api/projects/${project}/agent-config`, {
    agents: [],
    workflows,
  });
  expect(cfg.status).toBe(200);
  const b = await call<{ id: string }>(stack.gw, auth, 'POST', `/api/projects/${project}/boards`, {
    name: 'Launch',
    lanes: [
      { id: 'todo', name: 'To do' },
      { id: 'plan', name: 'Vision & planning' },
      { id: 'build', name: 'Build', wipLimit: 1 },
      { id: 'write', name: 'Write' },
      { id: 'spec', name: 'Spec' },
      { id: 'prd', name: 'PRD' },
      { id: 'ideas', name: 'Ideas' },
      { id: 'backlog', name: 'Backlog' },
      { id: 'done', name: 'Done' },
    ],
  });
  expect(b.status).toBe(201);
  board = b.body.id;
}, 60_000);
afterAll(async () => stack?.stop());

const newCard = (title: string, lane = 'todo') =>
  call<Card>(stack.gw, auth, 'POST', `/api/projects/${project}/cards`, { board, lane, title });

describe('boards and lane workflows', () => {
  it('a card moved into an autoTrigger lane runs its 3-agent sequence and lands in the exit lane with the results', async () => {
    const created = await newCard('Launch the product');
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ lane: 'todo', position: 0, runs: [] });
    const id = created.body.id;

    const moved = await call<Card>(stack.gw, auth, 'PUT', `/api/cards/${id}/move`, { lane: 'plan' });
    expect(moved.status).toBe(200);
    expect(moved.body.lane).toBe('plan');
    expect(moved.body.runs.map((r) => r.agent)).toEqual(['ceo']);
    expect(moved.body.workflow).toMatchObject({ lane: 'plan', status: 'running', agents: 3 });
    expect(moved.body.workflow!.progress).toBeLessThan(100);

    const done = await eventually(
      async () => {
        const c = await call<Card>(stack.gw, auth, 'GET', `/api/cards/${id}`);
        return c.body.lane === 'build' ? c.body : undefined;
      },
      { timeoutMs: 45_000, what: 'card in the exit lane' },
    );
    expect(done.runs.map((r) => [r.step, r.agent, r.status])).toEqual([
      [0, 'ceo', 'completed'],
      [1, 'strategy', 'completed'],
      [2, 'storyboard', 'completed'],
    ]);
    expect(done.summary).toContain('STORYBOARD');
    expect(done.workflow).toMatchObject({
      lane: 'plan',
      status: 'completed',
      agentsFinished: 3,
      progress: 100,
    });
    expect(done.runs[1]!.summary).toContain('STRATEGY');
    expect(done.runs[0]!.journal).toMatch(/^moe\.evt\..+\.agent\./);

    const runs = await call<{ runs: Run[] }>(stack.gw, auth, 'GET', `/api/cards/${id}/runs`);
    expect(runs.body.runs).toHaveLength(3);
    const b = await call<{ lanes: { id: string; cards: string[] }[] }>(
      stack.gw,
      auth,
      'GET',
      `/api/boards/${board}`,
    );
    expect(b.body.lanes.find((l) => l.id === 'build')!.cards).toEqual([id]);
    expect(b.body.lanes.find((l) => l.id === 'plan')!.cards).toEqual([]);
  }, 60_000);

  it('puts the files its agents wrote (artifacts), the session-log links and the cost on the card and its runs', async () => {
    const id = (await newCard('Write the plan')).body.id;
    expect((await call(stack.gw, auth, 'PUT', `/api/cards/${id}/move`, { lane: 'write' })).status).toBe(200);
    const done = await eventually(
      async () => {
        const c = await call<Card & { artifacts: Artifact[]; terminal: string }>(
          stack.gw,
          auth,
          'GET',
          `/api/cards/${id}`,
        );
        return c.body.lane === 'done' ? c.body : undefined;
      },
      { timeoutMs: 45_000, what: 'card in done' },
    );
    const sha256 = createHash('sha256').update('PLAN v1').digest('hex');
    expect(done.summary).toContain('WROTE');
    expect(done.artifacts).toEqual([
      { path: expect.stringMatching(/notes\/plan\.md$/), sha256, size: 7, runId: 'w1s0a0', agent: 'writer' },
    ]);
    expect(done.terminal).toBe(`/api/cards/${id}/terminal`);
    const runs = await call<{
      runs: (Run & { artifacts: Artifact[]; log: string; costMicros: number | null })[];
    }>(stack.gw, auth, 'GET', `/api/cards/${id}/runs`);
    const [run] = runs.body.runs;
    expect(run).toMatchObject({ agent: 'writer', status: 'completed' });
    expect(run!.artifacts).toEqual([{ path: expect.stringMatching(/notes\/plan\.md$/), sha256, size: 7 }]);
    expect(run!.log).toBe(`/api/cards/${id}/terminal?realtime=false`);
    expect(run!.journal).toMatch(/^moe\.evt\..+\.agent\./);
    expect(typeof run!.costMicros).toBe('number');
  }, 60_000);

  it('blocks a card whose agents did not write the file its lane exitCriteria names, and refuses a path outside the project', async () => {
    const id = (await newCard('Write the spec')).body.id;
    expect((await call(stack.gw, auth, 'PUT', `/api/cards/${id}/move`, { lane: 'spec' })).status).toBe(200);
    const blocked = await eventually(
      async () => {
        const c = await call<Card>(stack.gw, auth, 'GET', `/api/cards/${id}`);
        return c.body.blocked ? c.body : undefined;
      },
      { timeoutMs: 45_000, what: 'card blocked' },
    );
    expect(blocked.lane).toBe('spec');
    expect(blocked.blocked).toMatchObject({ code: 'MOE_ERR_EXIT_CRITERIA_UNMET' });
    expect(blocked.runs.map((r) => r.status)).toEqual(['completed']);
    for (const exitCriteria of ['file:../secrets.md', 'file:/etc/passwd', 'file:']) {
      const bad = await call<{ error: { code: string; message: string } }>(
        stack.gw,
        auth,
        'PUT',
        `/api/projects/${project}/agent-config`,
        { agents: [], workflows: { ...workflows, spec: { ...workflows.spec, exitCriteria } } },
      );
      expect(bad.status, exitCriteria).toBe(400);
      expect(bad.body.error.code).toBe('MOE_ERR_VALIDATION');
      expect(bad.body.error.message).toContain('exitCriteria must be a label, or file:<path> relative');
    }
  }, 60_000);

  it("lets a lane's agents create cards (create_card to cardsTo) and moves on once they did (cards_created)", async () => {
    interface Created {
      id: string;
      title: string;
      lane: string;
      by: string;
    }
    const id = (await newCard('Write the PRD')).body.id;
    expect((await call(stack.gw, auth, 'PUT', `/api/cards/${id}/move`, { lane: 'prd' })).status).toBe(200);
    const done = await eventually(
      async () => {
        const c = await call<Card & { createdCards: Created[] }>(stack.gw, auth, 'GET', `/api/cards/${id}`);
        return c.body.lane === 'done' ? c.body : undefined;
      },
      { timeoutMs: 45_000, what: 'PRD card in done' },
    );
    expect(done.createdCards.map((c) => [c.title, c.lane, c.by])).toEqual([
      ['Sign-up', 'backlog', `${id}-w1s0a0`],
      ['Billing', 'backlog', `${id}-w1s0a0`],
    ]);
    const backlog = await eventually(
      async () => {
        const b = await call<{ lanes: { id: string; cards: string[] }[] }>(
          stack.gw,
          auth,
          'GET',
          `/api/boards/${board}`,
        );
        const cards = b.body.lanes.find((l) => l.id === 'backlog')!.cards;
        return cards.length === 2 ? cards : undefined;
      },
      { timeoutMs: 15_000, what: 'two cards in the backlog' },
    );
    expect(backlog).toEqual(done.createdCards.map((c) => c.id));
    const signUp = await call<Card & { description: string }>(
      stack.gw,
      auth,
      'GET',
      `/api/cards/${backlog[0]}`,
    );
    expect(signUp.body).toMatchObject({
      title: 'Sign-up',
      description: 'email and password',
      lane: 'backlog',
    });
    const org = (await call<{ orgs: { id: string }[] }>(stack.gw, auth, 'GET', '/api/orgs')).body.orgs[0]!.id;
    const pm = { org, ws: id.split('-')[0]!, kind: 'agent', id: done.runs[0]!.actor.id };
    const pmJournal = JSON.stringify(await stack.gw.ctx.bus.records(pm));
    expect(pmJournal).toMatch(/MOE_ERR_TOOL_INPUT: [^"]*create_card input at \/title/);
    expect(pmJournal).toMatch(/MOE_ERR_TOOL_INPUT: [^"]*create_card input at \/colour/);

    // a lane without cardsTo does not give its agents the tool: the call is refused, the run goes on
    const other = (await newCard('Dream')).body.id;
    expect((await call(stack.gw, auth, 'PUT', `/api/cards/${other}/move`, { lane: 'ideas' })).status).toBe(
      200,
    );
    const dreamt = await eventually(
      async () => {
        const c = await call<Card & { createdCards: Created[] }>(
          stack.gw,
          auth,
          'GET',
          `/api/cards/${other}`,
        );
        return c.body.lane === 'done' ? c.body : undefined;
      },
      { timeoutMs: 45_000, what: 'ideas card in done' },
    );
    expect(dreamt.createdCards).toEqual([]);
    const agent = { org, ws: other.split('-')[0]!, kind: 'agent', id: dreamt.runs[0]!.actor.id };
    const journal = JSON.stringify(await stack.gw.ctx.bus.records(agent));
    expect(journal).toContain('MOE_ERR_TOOL_UNKNOWN: no tool with that name: create_card');
  }, 90_000);

  it('refuses a card past a lane WIP limit with 409 MOE_ERR_WIP_LIMIT', async () => {
    const second = await newCard('Second');
    const refused = await call<{ error: { code: string } }>(
      stack.gw,
      auth,
      'PUT',
      `/api/cards/${second.body.id}/move`,
      {
        lane: 'build',
      },
    );
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('MOE_ERR_WIP_LIMIT');
    const direct = await call<{ error: { code: string } }>(
      stack.gw,
      auth,
      'POST',
      `/api/projects/${project}/cards`,
      {
        board,
        lane: 'build',
        title: 'x',
      },
    );
    expect(direct.body.error.code).toBe('MOE_ERR_WIP_LIMIT');
    const unknown = await call<{ error: { code: string } }>(
      stack.gw,
      auth,
      'PUT',
      `/api/cards/${second.body.id}/move`,
      {
        lane: 'nowhere',
      },
    );
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.code).toBe('MOE_ERR_LANE_UNKNOWN');
  }, 30_000);

  it('lists boards with their cards in order, updates (text, assignee) and deletes a card', async () => {
    const a = await newCard('A');
    const first = await call<Card>(stack.gw, auth, 'POST', `/api/projects/${project}/cards`, {
      board,
      lane: 'todo',
      title: 'B',
      position: 0,
    });
    const list = await call<{ boards: { id: string; lanes: { id: string; cards: string[] }[] }[] }>(
      stack.gw,
      auth,
      'GET',
      `/api/projects/${project}/boards`,
    );
    const todo = list.body.boards.find((x) => x.id === board)!.lanes.find((l) => l.id === 'todo')!.cards;
    expect(todo[0]).toBe(first.body.id);
    expect(todo).toContain(a.body.id);
    const upd = await call<Card>(stack.gw, auth, 'PUT', `/api/cards/${a.body.id}`, { title: 'A2' });
    expect(upd.body).toMatchObject({ title: 'A2', assignee: null });
    expect(first.body.assignee).toBeNull();
    const given = await call<Card>(stack.gw, auth, 'POST', `/api/projects/${project}/cards`, {
      board,
      lane: 'todo',
      title: 'C',
      assignee: 'grace',
    });
    expect([given.status, given.body.assignee]).toEqual([201, 'grace']);
    const assigned = await call<Card>(stack.gw, auth, 'PUT', `/api/cards/${a.body.id}`, { assignee: 'ada' });
    expect(assigned.body).toMatchObject({ title: 'A2', assignee: 'ada' });
    expect((await call<Card>(stack.gw, auth, 'GET', `/api/cards/${a.body.id}`)).body.assignee).toBe('ada');
    const empty = await call<{ error: { code: string } }>(stack.gw, auth, 'PUT', `/api/cards/${a.body.id}`, {
      assignee: '',
    });
    expect([empty.status, empty.body.error.code]).toEqual([400, 'MOE_ERR_VALIDATION']);
    const unassigned = await call<Card>(stack.gw, auth, 'PUT', `/api/cards/${a.body.id}`, { assignee: null });
    expect(unassigned.body.assignee).toBeNull();
    expect((await call(stack.gw, auth, 'DELETE', `/api/cards/${a.body.id}`)).status).toBe(204);
    await eventually(
      async () =>
        (await call(stack.gw, auth, 'GET', `/api/cards/${a.body.id}`)).status === 404 ? true : undefined,
      { timeoutMs: 10_000, what: 'deleted card is 404' },
    );
  }, 30_000);

  it('renames a board and replaces its lanes (a lane holding cards cannot be removed), then deletes it', async () => {
    type Board = { name: string; lanes: { id: string; name: string; wipLimit?: number; cards: string[] }[] };
    const created = await call<{ id: string }>(stack.gw, auth, 'POST', `/api/projects/${project}/boards`, {
      name: 'Edit me',
      lanes: [
        { id: 'a', name: 'A' },
        { id: 'b', name: 'B' },
      ],
    });
    const id = created.body.id;
    const card = await call<Card>(stack.gw, auth, 'POST', `/api/projects/${project}/cards`, {
      board: id,
      lane: 'a',
      title: 'stays',
    });
    const upd = await call<Board>(stack.gw, auth, 'PUT', `/api/boards/${id}`, {
      name: 'Edited',
      lanes: [
        { id: 'b', name: 'B' },
        { id: 'a', name: 'Renamed', wipLimit: 5 },
        { id: 'c', name: 'New' },
      ],
    });
    expect(upd.status, JSON.stringify(upd.body)).toBe(200);
    expect(upd.body.name).toBe('Edited');
    expect(upd.body.lanes).toEqual([
      { id: 'b', name: 'B', cards: [] },
      { id: 'a', name: 'Renamed', wipLimit: 5, cards: [card.body.id] },
      { id: 'c', name: 'New', cards: [] },
    ]);
    const refused = await call<{ error: { code: string } }>(stack.gw, auth, 'PUT', `/api/boards/${id}`, {
      lanes: [{ id: 'c', name: 'New' }],
    });
    expect([refused.status, refused.body.error.code]).toEqual([409, 'MOE_ERR_LANE_NOT_EMPTY']);
    const dup = await call<{ error: { code: string } }>(stack.gw, auth, 'PUT', `/api/boards/${id}`, {
      lanes: [
        { id: 'c', name: 'x' },
        { id: 'c', name: 'y' },
      ],
    });
    expect([dup.status, dup.body.error.code]).toEqual([400, 'MOE_ERR_VALIDATION']);
    // removing the empty lanes is fine; the card stays where it was
    const kept = await call<Board>(stack.gw, auth, 'PUT', `/api/boards/${id}`, {
      lanes: [{ id: 'a', name: 'Only' }],
    });
    expect(kept.body.lanes).toEqual([{ id: 'a', name: 'Only', cards: [card.body.id] }]);
    expect((await call<Board>(stack.gw, auth, 'GET', `/api/boards/${id}`)).body).toMatchObject(kept.body);

    // deleting the board deletes its cards and takes it out of the project's list
    expect((await call(stack.gw, auth, 'DELETE', `/api/boards/${id}`)).status).toBe(204);
    expect((await call(stack.gw, auth, 'GET', `/api/boards/${id}`)).status).toBe(404);
    const list = await call<{ boards: { id: string }[] }>(
      stack.gw,
      auth,
      'GET',
      `/api/projects/${project}/boards`,
    );
    expect(list.body.boards.map((b) => b.id)).not.toContain(id);
    expect(list.body.boards.map((b) => b.id)).toContain(board);
    await eventually(
      async () =>
        (await call(stack.gw, auth, 'GET', `/api/cards/${card.body.id}`)).status === 404 ? true : undefined,
      { timeoutMs: 10_000, what: "the deleted board's card is 404" },
    );
    expect((await call(stack.gw, auth, 'DELETE', `/api/boards/${id}`)).status).toBe(404);
  }, 30_000);

  it('answers 404 to another tenant on every board and card route', async () => {
    const c = await newCard('Private');
    const id = c.body.id;
    for (const [method, url, body] of [
      ['GET', `/api/projects/${project}/boards`, undefined],
      ['POST', `/api/projects/${project}/boards`, { name: 'x', lanes: [{ id: 'a', name: 'a' }] }],
      ['POST', `/api/projects/${project}/cards`, { board, lane: 'todo', title: 'x' }],
      ['GET', `/api/boards/${board}`, undefined],
      ['PUT', `/api/boards/${board}`, { name: 'x' }],
      ['DELETE', `/api/boards/${board}`, undefined],
      ['GET', `/api/cards/${id}`, undefined],
      ['PUT', `/api/cards/${id}`, { title: 'x' }],
      ['DELETE', `/api/cards/${id}`, undefined],
      ['PUT', `/api/cards/${id}/move`, { lane: 'plan' }],
      ['GET', `/api/cards/${id}/runs`, undefined],
      ['POST', `/api/cards/${id}/agents/ceo/run`, undefined],
      ['POST', `/api/cards/${id}/approve`, {}],
      ['PUT', `/api/projects/${project}/agent-config`, { agents: [] }],
    ] as const) {
      const r = await call(stack.gw, stranger, method, url, body);
      expect(r.status, `${method} ${url}`).toBe(404);
    }
    expect((await call<Card>(stack.gw, auth, 'GET', `/api/cards/${id}`)).body.lane).toBe('todo');
  }, 30_000);
});
