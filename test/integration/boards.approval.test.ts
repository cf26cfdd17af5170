/**
 * `exitCriteria: 'approved'` on a real nats-server and workspace-node: when the lane's agents are
 * done the card waits for a person through the task approval mechanism — a gate task (an agent
 * actor in `gate_awaiting_approval` with `approval.requested`) — and that wait survives a restart
 * of the node and of the gateway; `POST /api/cards/:id/approve` after the restart forwards to the
 * gate and the card moves on to its exit lane; `deny` blocks a card with MOE_ERR_WORKFLOW_DENIED.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, type Gateway } from '../../gateway/index.js';
import type { CardView } from '../../gateway/boardViews.js';
import { startWorkspaceNode, type WorkspaceNode } from '../../workspace-node/index.js';
import { eventually, tempDir } from '../harness/index.js';
import { call, JWT_SECRET, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

let stack: Stack;
let node: WorkspaceNode | null = null;
let gw: Gateway;
let extraGw: Gateway | null = null;
let auth: { authorization: string };
let project: string;
let board: string;
let org: string;
let ws: string;
const dir = tempDir('moe-approval-');

const startNode = () =>
  startWorkspaceNode({
    natsUrl: stack.ns.url,
    dataDir: dir.path,
    nodeId: 'approval-node',
    logger: pino({ level: 'silent' }),
  });

beforeAll(async () => {
  stack = await startStack({ node: false });
  node = await startNode();
  gw = stack.gw;
  auth = (await registerAndLogin(gw, 'approver')).auth;
  org = (await call<{ id: string }>(gw, auth, 'POST', '/api/orgs', { name: 'A' })).body.id;
  ws = (await call<{ id: string }>(gw, auth, 'POST', '/api/workspaces', { org, name: 'w' })).body.id;
  project = (await call<{ id: string }>(gw, auth, 'POST', `/api/workspaces/${ws}/projects`, { name: 'p' }))
    .body.id;
  const cfg = await call(gw, auth, 'PUT', `/api/projects/${project}/agent-config`, {
    agents: [],
    workflows: {
      review: {
        autoTrigger: 'reviewer',
        exitCriteria: 'approved',
        exitLane: 'done',
        scripts: { reviewer: [{ text: 'REVIEW: looks right' }] },
      },
    },
  });
  expect(cfg.status).toBe(200);
  board = (
    await call<{ id: string }>(gw, auth, 'POST', `/api/projects/${project}/boards`, {
      name: 'B',
      lanes: ['todo', 'review', 'done'].map((id) => ({ id, name: id })),
    })
  ).body.id;
}, 60_000);

afterAll(async () => {
  await extraGw?.close();
  await node?.stop();
  await stack?.stop();
  dir.remove();
});

async function waitingCard(title: string): Promise<CardView> {
  const id = (
    await call<CardView>(gw, auth, 'POST', `/api/projects/${project}/cards`, { board, lane: 'todo', title })
  ).body.id;
  expect((await call(gw, auth, 'PUT', `/api/cards/${id}/move`, { lane: 'review' })).status).toBe(200);
  return eventually(
    async () => {
      const c = (await call<CardView>(gw, auth, 'GET', `/api/cards/${id}`)).body;
      return c.awaitingApproval && c.approvalTask ? c : undefined;
    },
    { timeoutMs: 30_000, what: 'card waiting for approval' },
  );
}

/** The gate task's last journaled turn, read directly from MOE_EVT. */
const gateTurn = async (task: string) =>
  (await gw.ctx.bus.lastRecord({ org, ws, kind: 'agent', id: task }))?.rec;

describe('exitCriteria approved', () => {
  it('waits for a person through a gate task, survives a node and gateway restart, and moves on when approved', async () => {
    const card = await waitingCard('Ship');
    expect(card.lane).toBe('review');
    expect(card.approvalTask).toBe(`${card.id}-w1ok`);
    const before = await eventually(
      async () => {
        const r = await gateTurn(card.approvalTask!);
        return r?.state === 'gate_awaiting_approval' ? r : undefined;
      },
      { timeoutMs: 20_000, what: 'the gate task waiting for approval' },
    );
    expect(before.events).toContainEqual(
      expect.objectContaining({ type: 'approval.requested', callIds: ['gate'], tools: ['card_exit'] }),
    );
    expect(before.status).toBe('active');

    // restart the node (the actors come back from the journal) and use a fresh gateway
    await node!.stop();
    node = await startNode();
    extraGw = await buildGateway({ nc: stack.nc, jwtSecret: JWT_SECRET, logger: false });
    gw = extraGw;
    const after = (await call<CardView>(gw, auth, 'GET', `/api/cards/${card.id}`)).body;
    expect(after).toMatchObject({ awaitingApproval: true, approvalTask: card.approvalTask, lane: 'review' });

    const approved = await call<CardView>(gw, auth, 'POST', `/api/cards/${card.id}/approve`, {
      reason: 'ship it',
    });
    expect(approved.status).toBe(200);
    const moved = await eventually(
      async () => {
        const c = (await call<CardView>(gw, auth, 'GET', `/api/cards/${card.id}`)).body;
        return c.lane === 'done' ? c : undefined;
      },
      { timeoutMs: 30_000, what: 'card in the exit lane' },
    );
    expect(moved).toMatchObject({ awaitingApproval: false, approvalTask: null, blocked: null });
    const gate = await gateTurn(card.approvalTask!);
    expect(gate?.state).toBe('done');
  }, 90_000);

  it('a denied gate blocks the card with MOE_ERR_WORKFLOW_DENIED', async () => {
    const card = await waitingCard('Risky');
    const denied = await call<CardView>(gw, auth, 'POST', `/api/cards/${card.id}/deny`, {
      reason: 'too risky',
    });
    expect(denied.status).toBe(200);
    const blocked = await eventually(
      async () => {
        const c = (await call<CardView>(gw, auth, 'GET', `/api/cards/${card.id}`)).body;
        return c.blocked ? c : undefined;
      },
      { timeoutMs: 30_000, what: 'card blocked' },
    );
    expect(blocked.blocked).toMatchObject({ code: 'MOE_ERR_WORKFLOW_DENIED' });
    expect(blocked.blocked!.reason).toContain('too risky');
    expect(blocked.lane).toBe('review');
    expect((await gateTurn(card.approvalTask!))?.state).toBe('failed');
  }, 60_000);
});
