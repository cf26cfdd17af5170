/**
 * A card's `createdCards` (GET /api/cards/:id), folded from its journal: each card its agents
 * created (`card.spawned`), and the ones the board then refused (`card.spawn.refused`, e.g. a WIP
 * limit on the cardsTo lane) marked `refused` with the board's code and reason.
 */
import { describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../schemas/index.js';
import { cardView } from '../../gateway/boardViews.js';
import type { SeqRecord } from '../../gateway/bus.js';
import { CARD_ADDR, cardRecords } from './cardView.kit.js';

const addr = CARD_ADDR;
const CARD = 'c1';

const records = (...turns: JournalRecord['events'][]): SeqRecord[] =>
  cardRecords(CARD, 'card.create', ...turns);

const created = { type: 'card.created', board: 'b1', project: 'p1', lane: 'prd', position: 0, title: 'T' };
const spawned = (card: string, title: string) => ({
  type: 'card.spawned',
  card,
  lane: 'backlog',
  title,
  by: `${CARD}-w1s0a0`,
});

describe('createdCards', () => {
  it('lists the cards its agents created and marks the one the board refused', () => {
    const view = cardView(
      CARD,
      addr,
      records(
        [created],
        [spawned('c2', 'Sign-up')],
        [spawned('c3', 'Billing')],
        [
          {
            type: 'card.spawn.refused',
            card: 'c3',
            lane: 'backlog',
            code: 'MOE_ERR_WIP_LIMIT',
            reason: 'lane backlog is full',
          },
        ],
      ),
    );
    expect(view?.createdCards).toEqual([
      { id: 'c2', title: 'Sign-up', lane: 'backlog', by: `${CARD}-w1s0a0` },
      {
        id: 'c3',
        title: 'Billing',
        lane: 'backlog',
        by: `${CARD}-w1s0a0`,
        refused: { code: 'MOE_ERR_WIP_LIMIT', reason: 'lane backlog is full' },
      },
    ]);
  });
});
