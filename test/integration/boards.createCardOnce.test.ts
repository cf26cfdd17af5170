/**
 * A `create_card` call run twice — as a node re-drives it after a kill -9 between sending
 * `card.create` and journaling the tool's result (the re-driven effect is the journaled spec, the
 * same id) — creates one card: the new card's id and the command's id derive from the agent's
 * address and the effect id, so the card's kernel applies the second `card.create` as a duplicate,
 * and the board holds one new card. A second call of the agent (another effect id) is a second card.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpecOf } from '../../actors/index.js';
import { CommandPublisher, systemClock } from '../../actors/kernel/index.js';
import { runCreateCard } from '../../workspace-node/effects/createCard.js';
import { eventually, startPlatform, type Platform } from '../harness/index.js';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => p?.close());

const ORG = 'cc';
const WS = 'w1';
const BOARD = { org: ORG, ws: WS, kind: 'board', id: 'w1-p1-b1' };
const CARD = 'w1-p1-c0000000000000001';
const config = {
  agents: [],
  workflows: {
    prd: {
      autoTrigger: 'pm',
      cardsTo: 'todo',
      // the agent stays running (its LLM call is slow) while the test plays its create_card calls
      scripts: { pm: [{ text: 'PRD', delayMs: 20_000 }] },
    },
  },
};

const eventsOf = async (filter: string) => (await p.records(filter)).flatMap((r) => r.record.events);

describe('create_card re-driven', () => {
  it('creates its card once; another call of the agent is another card', async () => {
    const node = await p.node({ nodeId: 'n1' });
    await p.client.send(BOARD, {
      id: 'create-board',
      type: 'board.create',
      data: {
        board: BOARD.id,
        project: 'w1-p1',
        name: 'Product',
        lanes: [
          { id: 'todo', name: 'To do' },
          { id: 'prd', name: 'PRD' },
        ],
      },
    });
    await p.client.send(BOARD, {
      id: 'add-card',
      type: 'card.add',
      data: { card: CARD, lane: 'prd', title: 'Write the PRD', config },
    });
    const cardEvents = () => eventsOf(`moe.evt.${ORG}.${WS}.card.${CARD}`);
    const started = await eventually(async () => (await cardEvents()).find((e) => e.type === 'run.started'), {
      timeoutMs: 20_000,
      what: 'the pm agent running',
    });
    const agent = {
      org: ORG,
      ws: WS,
      kind: 'agent',
      id: (started as unknown as { actor: { id: string } }).actor.id,
    };

    const stop = new AbortController();
    const publisher = new CommandPublisher(p.client.js, systemClock, stop.signal);
    const call = (effectId: string, title: string): SpecOf<'tool.run'> => ({
      id: effectId,
      kind: 'tool.run',
      callId: `call-${effectId}`,
      name: 'create_card',
      input: { title },
      card: { id: CARD, lane: 'prd' },
    });
    const first = await runCreateCard(publisher, agent, call('e7', 'Sign-up'), 'ws');
    const again = await runCreateCard(publisher, agent, call('e7', 'Sign-up'), 'ws');
    expect(again).toEqual(first);
    const other = await runCreateCard(publisher, agent, call('e8', 'Billing'), 'ws');
    expect(other.output).not.toEqual(first.output);

    const todo = await eventually(
      async () => {
        const placed = (await eventsOf(`moe.evt.${ORG}.${WS}.board.${BOARD.id}`)).filter(
          (e) => e.type === 'board.card.placed' && (e as { to?: string }).to === 'todo',
        );
        return placed.length >= 2 ? placed : undefined;
      },
      { timeoutMs: 15_000, what: 'two cards in To do' },
    );
    // a duplicate (if there were one) would have been placed by now beside the other two
    await new Promise((r) => setTimeout(r, 1_000));
    const spawned = (await cardEvents()).filter((e) => e.type === 'card.spawned');
    expect(spawned.map((e) => (e as { title?: string }).title)).toEqual(['Sign-up', 'Billing']);
    const placedAgain = (await eventsOf(`moe.evt.${ORG}.${WS}.board.${BOARD.id}`)).filter(
      (e) => e.type === 'board.card.placed' && (e as { to?: string }).to === 'todo',
    );
    expect(placedAgain).toHaveLength(todo.length);
    expect(new Set(placedAgain.map((e) => (e as { card?: string }).card)).size).toBe(2);
    stop.abort();
    await node.stop();
  }, 60_000);
});
