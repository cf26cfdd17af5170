/**
 * kill -9 of the workspace-node in the middle of a card's lane workflow: a card enters a lane whose
 * 3-agent sequence runs on the scripted provider; the node (a real `moe node` child process) is
 * killed by pid while the second agent's slow LLM call is in flight. A second node takes over:
 * the workflow resumes at the step it was in, no step starts twice, every agent completes once, and
 * the card ends in the exit lane.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertCleanJournal, eventually, exited, startPlatform, type Platform } from '../harness/index.js';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => p?.close());

const ORG = 'chaos';
const WS = 'kc1';
const board = { org: ORG, ws: WS, kind: 'board', id: 'b1' };
const card = { org: ORG, ws: WS, kind: 'card', id: 'c1' };
const config = {
  agents: [],
  workflows: {
    plan: {
      autoTrigger: 'ceo',
      sequence: ['ceo', 'strategy', 'storyboard'],
      exitLane: 'build',
      scripts: {
        ceo: [{ text: 'VISION' }],
        strategy: [{ text: 'STRATEGY', delayMs: 3000 }],
        storyboard: [{ text: 'STORYBOARD' }],
      },
    },
  },
};

/** a field of a journaled event */
const f = (e: unknown, key: string) => (e as Record<string, unknown>)[key];
const eventsOf = async (filter: string) => (await p.records(filter)).flatMap((r) => r.record.events);

describe('workspace-node killed with SIGKILL mid lane workflow', () => {
  it('resumes the sequence at the step it was in, runs no step twice, and the card reaches the exit lane', async () => {
    const first = p.spawnNode('node-a');
    await p.client.send(board, {
      id: 'create-b1',
      type: 'board.create',
      data: {
        board: 'b1',
        project: 'p1',
        name: 'Launch',
        lanes: [
          { id: 'todo', name: 'To do' },
          { id: 'plan', name: 'Plan' },
          { id: 'build', name: 'Build' },
        ],
      },
    });
    await p.client.send(board, {
      id: 'add-c1',
      type: 'card.add',
      data: { card: 'c1', lane: 'todo', title: 'Launch' },
    });
    await p.client.send(board, {
      id: 'move-c1',
      type: 'card.move',
      data: { card: 'c1', lane: 'plan', config },
    });

    // the second agent's slow LLM call is in flight once its run.started is journaled
    await eventually(
      async () => {
        const evs = await eventsOf(`moe.evt.${ORG}.${WS}.card.c1`);
        return evs.some((e) => e.type === 'run.started' && f(e, 'step') === 1) ? true : undefined;
      },
      { timeoutMs: 30_000, what: 'step 1 started' },
    );
    await new Promise((r) => setTimeout(r, 500));
    first.kill('SIGKILL');
    await exited(first);
    expect(first.signalCode).toBe('SIGKILL');
    const before = await eventsOf(`moe.evt.${ORG}.${WS}.card.c1`);
    expect(before.some((e) => e.type === 'workflow.finished')).toBe(false);

    const second = p.spawnNode('node-b');
    await eventually(
      async () => {
        const evs = await eventsOf(`moe.evt.${ORG}.${WS}.board.b1`);
        return evs.some((e) => e.type === 'board.card.placed' && f(e, 'to') === 'build') ? true : undefined;
      },
      { timeoutMs: 60_000, what: 'card placed in the exit lane after the restart' },
    );
    // give a duplicate (if any) time to show up before asserting there is none
    await new Promise((r) => setTimeout(r, 1500));
    const all = await p.records(`moe.evt.${ORG}.${WS}.>`);
    second.kill('SIGTERM');
    await exited(second);

    const cardEvents = all.filter((r) => r.record.actor.kind === 'card').flatMap((r) => r.record.events);
    const started = cardEvents.filter((e) => e.type === 'run.started');
    expect(started.map((e) => f(e, 'step'))).toEqual([0, 1, 2]);
    const finished = cardEvents.filter((e) => e.type === 'run.finished');
    expect(finished.map((e) => [f(e, 'agent'), f(e, 'status')])).toEqual([
      ['ceo', 'completed'],
      ['strategy', 'completed'],
      ['storyboard', 'completed'],
    ]);
    expect(cardEvents.filter((e) => e.type === 'workflow.finished')).toHaveLength(1);
    expect(cardEvents.filter((e) => e.type === 'card.moved').map((e) => f(e, 'to'))).toEqual([
      'plan',
      'build',
    ]);

    const agents = [
      ...new Set(all.filter((r) => r.record.actor.kind === 'agent').map((r) => r.record.actor.id)),
    ];
    expect(agents).toHaveLength(3);
    for (const id of agents) {
      const mine = all.filter((r) => r.record.actor.kind === 'agent' && r.record.actor.id === id);
      expect(
        mine.flatMap((r) => r.record.events).filter((e) => e.type === 'task.accepted'),
        id,
      ).toHaveLength(1);
      expect(
        mine.flatMap((r) => r.record.events).filter((e) => e.type === 'task.completed'),
        id,
      ).toHaveLength(1);
      expect(assertCleanJournal(all, { org: ORG, ws: WS, kind: 'agent', id })).toBeNull();
    }
    expect(assertCleanJournal(all, card)).toBeNull();
    expect(assertCleanJournal(all, board)).toBeNull();
  }, 120_000);
});
