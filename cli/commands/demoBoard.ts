/**
 * The board part of `moe up --demo` (seed 002, AgentWorks): a board with three lanes, a card put in
 * "To do" and moved into "Plan", whose lane workflow (autoTrigger, a sequence of three agents on
 * the offline `scripted` provider, each given the card and the previous agents' output) runs and
 * moves the card on to "Done" by itself; its last agent puts three feature cards in "To do" with the
 * `create_card` tool (the lane's `cardsTo`). Sent over NATS as any client would (the gateway's
 * `PUT /api/cards/:id/move` sends the same `card.move`); prints the card's journal and its runs.
 */
import type { MoeClient, RecordWithSeq } from '../../client/index.js';
import { findEvent, type ActorAddress, type CardConfig } from '../../schemas/index.js';

const LANES = [
  { id: 'todo', name: 'To do' },
  { id: 'plan', name: 'Plan' },
  { id: 'done', name: 'Done' },
];

/** The project's agent-config as the gateway would stamp it on the move. */
const CONFIG: CardConfig = {
  agents: [],
  workflows: {
    plan: {
      autoTrigger: 'ceo',
      sequence: ['ceo', 'strategy', 'storyboard'],
      exitLane: 'done',
      cardsTo: 'todo',
      scripts: {
        ceo: [{ text: 'VISION: a small, reliable beta for ten teams.' }],
        strategy: [{ text: 'STRATEGY: invite weekly, watch the error budget.' }],
        storyboard: [
          {
            toolCalls: ['Sign-up', 'First task', 'First invoice'].map((title) => ({
              name: 'create_card',
              input: { title },
            })),
          },
          { text: 'STORYBOARD: sign-up, first task, first invoice (three cards in To do).' },
        ],
      },
    },
  },
};

/** One line per card event worth showing. */
function describe(e: { type: string } & Record<string, unknown>): string | null {
  switch (e.type) {
    case 'card.created':
      return `card created in "${String(e.lane)}"`;
    case 'card.moved':
      return `card moved ${String(e.from)} → ${String(e.to)}`;
    case 'run.started':
      return `  step ${String(e.step)}: agent ${String(e.agent)} started`;
    case 'run.finished':
      return `  step ${String(e.step)}: agent ${String(e.agent)} ${String(e.status)}${typeof e.summary === 'string' ? ` — ${e.summary}` : ''}`;
    case 'card.spawned':
      return `  created card "${String(e.title)}" in "${String(e.lane)}"`;
    case 'workflow.finished':
      return `workflow ${String(e.status)} (cost ${String(e.costMicros)} µ$)`;
    case 'card.blocked':
      return `card blocked: ${String(e.reason)}`;
    default:
      return null;
  }
}

/** Runs the board demo; true when the card reached "Done". */
export async function runBoardDemo(
  client: MoeClient,
  org: string,
  ws: string,
  run: string,
  print: (s: string) => void,
): Promise<boolean> {
  const board = `b-${run}`;
  const card = `c-${run}`;
  const boardAddr: ActorAddress = { org, ws, kind: 'board', id: board };
  const cardAddr: ActorAddress = { org, ws, kind: 'card', id: card };
  print(
    `\nBoard demo: board ${board} (${LANES.map((l) => l.name).join(' → ')}); card ${card} moves into "Plan", ` +
      `whose workflow runs ceo → strategy → storyboard (which creates feature cards) and moves it to "Done"`,
  );
  await client.request(boardAddr, {
    id: `create-${board}`,
    type: 'board.create',
    data: { board, project: 'demo', name: 'Beta launch', lanes: LANES },
  });
  await client.request(boardAddr, {
    id: `add-${card}`,
    type: 'card.add',
    data: { card, lane: 'todo', title: 'Plan the beta launch', config: CONFIG },
  });
  const settled = (r: RecordWithSeq) => {
    const e = r.record.events;
    return (
      e.some((x) => x.type === 'card.moved' && (x as { to?: unknown }).to === 'done') ||
      findEvent(e, 'card.blocked') !== undefined
    );
  };
  const waiting = client.follow(cardAddr, settled, { timeoutMs: 60_000 });
  await client.send(boardAddr, {
    id: `move-${card}`,
    type: 'card.move',
    data: { card, lane: 'plan', config: CONFIG },
  });
  const records = await waiting;
  for (const r of records)
    for (const e of r.record.events) {
      const line = describe(e);
      if (line) print(`  ${line}`);
    }
  const done = records.some((r) =>
    r.record.events.some((x) => x.type === 'card.moved' && (x as { to?: unknown }).to === 'done'),
  );
  print(done ? `Card ${card} is in "Done" with its results.` : `Card ${card} did not reach "Done".`);
  return done;
}
