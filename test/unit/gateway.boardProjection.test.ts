/**
 * The board projection applies every turn of a multi-turn journal entry (a group commit puts
 * several turns of one actor in one MOE_EVT message: two card.create of an agent, two card.add to
 * a board), each once; a wait for the entry's sequence resolves only after its last turn.
 */
import { describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../schemas/index.js';
import { BoardProjection } from '../../gateway/boardProjection.js';

const WS = 'w0123456789abcdef';
const CARD = `${WS}-p0123456789abcdef-c0123456789abcdef`;
const child = (n: number) => `${WS}-p0123456789abcdef-c00000000000000${n}0`;

function turn(n: number, events: JournalRecord['events']): JournalRecord {
  return {
    actor: { org: 'o1', ws: WS, kind: 'card', id: CARD },
    turn: n,
    session: '_workspace',
    cmd: { id: `c${n}`, type: 'card.create', at: 1000 + n },
    state: 'running',
    status: 'active',
    events,
    effects: [],
    cancels: [],
  };
}

const created = turn(1, [
  { type: 'card.created', board: 'b1', project: 'p0123456789abcdef', lane: 'prd', position: 0, title: 'PRD' },
]);
const spawned = (n: number) =>
  turn(n, [{ type: 'card.spawned', card: child(n), lane: 'backlog', title: `F${n}`, by: `${CARD}-w1s0a0` }]);

describe('board projection', () => {
  it('applies each turn of a multi-turn entry once, and answers waits after the last', async () => {
    const p = new BoardProjection();
    p.apply(1, created);
    const waited = p.reached('card', CARD, 5, 1_000);
    let resolved = false;
    void waited.then(() => (resolved = true));
    p.apply(5, spawned(2), false);
    await Promise.resolve();
    expect(resolved).toBe(false);
    p.apply(5, spawned(3), true);
    expect(await waited).toBe(true);
    // the entry delivered again (a follower that lost its consumer resumes): nothing doubles
    p.apply(5, spawned(2), false);
    p.apply(5, spawned(3), true);
    expect(p.card(CARD)?.createdCards.map((c) => c.title)).toEqual(['F2', 'F3']);
    expect(p.appliedSeq('card', CARD)).toBe(5);
  });
});
