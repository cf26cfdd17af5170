/**
 * The board machine walked with `transition()`: lanes and card order as a total order after random
 * interleavings of adds, moves and removes; WIP limits refused with a code; every placement
 * forwarded to its card with a growing `seq`.
 */
import { describe, expect, it } from 'vitest';
import { boardMachine, type BoardContext } from '../../actors/index.js';
import { walker } from './agent.machineKit.js';

const lanes = [
  { id: 'todo', name: 'To do' },
  { id: 'doing', name: 'Doing', wipLimit: 3 },
  { id: 'done', name: 'Done' },
];

function created() {
  const w = walker(boardMachine);
  w.send('board.create', { board: 'b1', project: 'p1', name: 'Main', lanes });
  return w;
}

const ctx = (w: ReturnType<typeof walker>) => w.snapshot.context as BoardContext;

/** A small deterministic PRNG (mulberry32): the interleavings are random but reproducible. */
function prng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('board', () => {
  it('creates its lanes in order and emits board.created', () => {
    const w = walker(boardMachine);
    const t = w.send('board.create', { board: 'b1', project: 'p1', name: 'Main', lanes });
    expect(w.state).toBe('active');
    expect(ctx(w).lanes.map((l) => l.id)).toEqual(['todo', 'doing', 'done']);
    expect(t.emits[0]).toMatchObject({ type: 'board.created', project: 'p1', lanes });
  });

  it('is renamed and relaned: kept lanes keep their cards, new ones start empty, empty ones go', () => {
    const w = created();
    w.send('card.add', { card: 'c1', lane: 'todo', title: 'one' });
    w.send('card.add', { card: 'c2', lane: 'doing', title: 'two' });
    const next = [
      { id: 'doing', name: 'In progress', wipLimit: 1 },
      { id: 'todo', name: 'Backlog' },
      { id: 'review', name: 'Review' },
    ];
    const t = w.send('board.update', { name: 'Launch', lanes: next });
    expect(t.emits).toEqual([{ type: 'board.updated', name: 'Launch', lanes: next }]);
    expect(ctx(w).name).toBe('Launch');
    expect(ctx(w).lanes).toEqual([
      { id: 'doing', name: 'In progress', wipLimit: 1, cards: ['c2'] },
      { id: 'todo', name: 'Backlog', cards: ['c1'] },
      { id: 'review', name: 'Review', cards: [] },
    ]);
    // the lowered WIP limit refuses the next card into the lane, not the one already there
    const full = w.send('card.move', { card: 'c1', lane: 'doing' });
    expect(full.emits[0]).toMatchObject({ type: 'board.move.refused', code: 'MOE_ERR_WIP_LIMIT' });
    expect(w.send('board.update', { name: 'Renamed only' }).emits).toEqual([
      { type: 'board.updated', name: 'Renamed only' },
    ]);
    expect(ctx(w).lanes.map((l) => l.id)).toEqual(['doing', 'todo', 'review']);
  });

  it('is deleted for good with every card on it: each card is sent card.delete', () => {
    const w = created();
    w.send('card.add', { card: 'c1', lane: 'todo', title: 'one' });
    w.send('card.add', { card: 'c2', lane: 'doing', title: 'two' });
    const t = w.send('board.delete', {});
    expect(t.emits).toEqual([{ type: 'board.deleted', cards: ['c1', 'c2'] }]);
    expect(
      t.effects.map((e) => [e.kind, (e as { to?: { id: string } }).to?.id, (e as { type?: string }).type]),
    ).toEqual([
      ['actor.send', 'c1', 'card.delete'],
      ['actor.send', 'c2', 'card.delete'],
    ]);
    expect(new Set(t.effects.map((e) => e.id)).size).toBe(2);
    expect(w.snapshot.status).toBe('done');
    expect(w.send('card.add', { card: 'c3', lane: 'todo', title: 'late' }).emits).toEqual([]);
  });

  it('refuses to remove a lane that holds cards, and lanes with duplicate ids; nothing changes', () => {
    const w = created();
    w.send('card.add', { card: 'c1', lane: 'doing', title: 'one' });
    const before = structuredClone(ctx(w).lanes);
    const t = w.send('board.update', { lanes: [lanes[0]!, lanes[2]!] });
    expect(t.emits).toEqual([
      { type: 'board.update.refused', code: 'MOE_ERR_LANE_NOT_EMPTY', reason: 'lane doing holds 1 card(s)' },
    ]);
    expect(ctx(w).lanes).toEqual(before);
    const dup = w.send('board.update', { lanes: [lanes[0]!, lanes[0]!, lanes[1]!] });
    // not accepted at all (the kernel journals it as command.rejected)
    expect(dup.emits).toEqual([]);
    expect(ctx(w).lanes).toEqual(before);
  });

  it('refuses lanes with duplicate ids', () => {
    const w = walker(boardMachine);
    w.send('board.create', { board: 'b1', project: 'p1', name: 'x', lanes: [lanes[0], lanes[0]] });
    expect(w.state).toBe('new');
  });

  it('adds a card at a position and forwards the placement to the card actor', () => {
    const w = created();
    w.send('card.add', { card: 'c1', lane: 'todo', title: 'one' });
    const t = w.send('card.add', {
      card: 'c2',
      lane: 'todo',
      position: 0,
      title: 'two',
      description: 'd',
      assignee: 'ada',
    });
    expect(ctx(w).lanes[0]!.cards).toEqual(['c2', 'c1']);
    expect(t.emits[0]).toMatchObject({
      type: 'board.card.placed',
      card: 'c2',
      from: null,
      to: 'todo',
      position: 0,
    });
    expect(t.effects[0]).toMatchObject({
      kind: 'actor.send',
      to: { kind: 'card', id: 'c2' },
      type: 'card.placed',
      data: {
        card: 'c2',
        board: 'b1',
        project: 'p1',
        lane: 'todo',
        position: 0,
        seq: 1,
        title: 'two',
        description: 'd',
        assignee: 'ada',
      },
    });
  });

  it('moves a card between lanes, keeps both lanes dense, and counts its placements', () => {
    const w = created();
    for (const c of ['c1', 'c2', 'c3']) w.send('card.add', { card: c, lane: 'todo', title: c });
    const t = w.send('card.move', { card: 'c2', lane: 'done', position: 5 });
    expect(t.emits[0]).toMatchObject({
      type: 'board.card.placed',
      from: 'todo',
      to: 'done',
      position: 0,
      order: { todo: ['c1', 'c3'], done: ['c2'] },
    });
    expect(t.effects[0]).toMatchObject({ data: { seq: 2, lane: 'done', position: 0 } });
  });

  it('refuses a card past the WIP limit with MOE_ERR_WIP_LIMIT, and changes nothing', () => {
    const w = created();
    for (const c of ['c1', 'c2', 'c3', 'c4']) w.send('card.add', { card: c, lane: 'doing', title: c });
    expect(ctx(w).lanes[1]!.cards).toEqual(['c1', 'c2', 'c3']);
    w.send('card.add', { card: 'c5', lane: 'todo', title: 'c5' });
    const before = ctx(w).lanes;
    const t = w.send('card.move', { card: 'c5', lane: 'doing' });
    expect(t.emits).toEqual([
      expect.objectContaining({ type: 'board.move.refused', code: 'MOE_ERR_WIP_LIMIT' }),
    ]);
    expect(t.effects).toEqual([]);
    expect(ctx(w).lanes).toEqual(before);
    // a move inside the full lane does not change its count: allowed
    const inside = w.send('card.move', { card: 'c3', lane: 'doing', position: 0 });
    expect(inside.emits[0]).toMatchObject({
      type: 'board.card.placed',
      order: { doing: ['c3', 'c1', 'c2'] },
    });
  });

  it('tells the card when a move it asked for is refused', () => {
    const w = created();
    for (const c of ['c1', 'c2', 'c3']) w.send('card.add', { card: c, lane: 'doing', title: c });
    w.send('card.add', { card: 'c4', lane: 'todo', title: 'c4' });
    const t = w.send('card.move', { card: 'c4', lane: 'doing', byCard: true });
    expect(t.effects).toEqual([
      expect.objectContaining({
        to: { kind: 'card', id: 'c4' },
        type: 'card.refused',
        data: expect.objectContaining({ code: 'MOE_ERR_WIP_LIMIT', lane: 'doing' }),
      }),
    ]);
  });

  it('tells the card whose agent created a card (createdBy) when the board refuses it', () => {
    const w = created();
    for (const c of ['c1', 'c2', 'c3']) w.send('card.add', { card: c, lane: 'doing', title: c });
    const t = w.send('card.add', {
      card: 'c9',
      lane: 'doing',
      title: 'from an agent',
      createdBy: { card: 'c0', workflow: 2 },
    });
    expect(t.effects).toEqual([
      expect.objectContaining({
        to: { kind: 'card', id: 'c0' },
        type: 'card.spawn.refused',
        data: expect.objectContaining({ card: 'c9', lane: 'doing', workflow: 2, code: 'MOE_ERR_WIP_LIMIT' }),
      }),
    ]);
    // taken when there is room: nobody is told anything but the new card
    const ok = w.send('card.add', {
      card: 'c8',
      lane: 'todo',
      title: 'x',
      createdBy: { card: 'c0', workflow: 2 },
    });
    expect(ok.effects.map((e) => (e as { to: { id: string } }).to.id)).toEqual(['c8']);
  });

  it('refuses unknown lanes, unknown cards and a second add of one card', () => {
    const w = created();
    expect(w.send('card.add', { card: 'c1', lane: 'nope', title: 'x' }).emits[0]).toMatchObject({
      code: 'MOE_ERR_LANE_UNKNOWN',
    });
    expect(w.send('card.move', { card: 'c9', lane: 'todo' }).emits[0]).toMatchObject({
      code: 'MOE_ERR_CARD_UNKNOWN',
    });
    w.send('card.add', { card: 'c1', lane: 'todo', title: 'x' });
    expect(w.send('card.add', { card: 'c1', lane: 'done', title: 'x' }).emits[0]).toMatchObject({
      code: 'MOE_ERR_CARD_EXISTS',
    });
  });

  it('removes a card and tells the card actor it is deleted', () => {
    const w = created();
    w.send('card.add', { card: 'c1', lane: 'todo', title: 'x' });
    w.send('card.add', { card: 'c2', lane: 'todo', title: 'y' });
    const t = w.send('card.remove', { card: 'c1' });
    expect(t.emits[0]).toMatchObject({
      type: 'board.card.removed',
      card: 'c1',
      lane: 'todo',
      order: { todo: ['c2'] },
    });
    expect(t.effects[0]).toMatchObject({ to: { kind: 'card', id: 'c1' }, type: 'card.delete' });
    expect(ctx(w).lanes[0]!.cards).toEqual(['c2']);
  });

  it('keeps positions a total order after any random interleaving of adds, moves and removes', () => {
    for (let seed = 1; seed <= 15; seed++) {
      const rnd = prng(seed);
      const w = created();
      const folded: Record<string, string[]> = { todo: [], doing: [], done: [] };
      const onBoard = new Set<string>();
      for (let i = 0; i < 120; i++) {
        const card = `c${Math.floor(rnd() * 12)}`;
        const lane = lanes[Math.floor(rnd() * lanes.length)]!.id;
        const position = rnd() < 0.3 ? undefined : Math.floor(rnd() * 8);
        const r = rnd();
        const t =
          r < 0.35
            ? w.send('card.add', { card, lane, title: card, ...(position !== undefined ? { position } : {}) })
            : r < 0.9
              ? w.send('card.move', { card, lane, ...(position !== undefined ? { position } : {}) })
              : w.send('card.remove', { card });
        for (const e of t.emits) {
          if (e.type === 'board.card.placed' || e.type === 'board.card.removed')
            Object.assign(folded, e.order as Record<string, string[]>);
          if (e.type === 'board.card.placed') onBoard.add(card);
          if (e.type === 'board.card.removed') onBoard.delete(card);
        }
        const all = ctx(w).lanes.flatMap((l) => l.cards);
        expect(new Set(all).size, `seed ${seed} step ${i}: a card is twice on the board`).toBe(all.length);
        expect(new Set(all)).toEqual(onBoard);
        for (const l of ctx(w).lanes) {
          if (l.wipLimit !== undefined) expect(l.cards.length).toBeLessThanOrEqual(l.wipLimit);
          // what a reader folds from the events is the board's own order
          expect(folded[l.id]).toEqual(l.cards);
        }
      }
    }
  });

  it('serializes concurrent moves of one card: the card gets its placements with growing seq', () => {
    const w = created();
    w.send('card.add', { card: 'c1', lane: 'todo', title: 'x' });
    const a = w.send('card.move', { card: 'c1', lane: 'doing' });
    const b = w.send('card.move', { card: 'c1', lane: 'done' });
    const seqs = [a, b].map((t) => (t.effects[0]!.data as { seq: number; lane: string }).seq);
    expect(seqs).toEqual([2, 3]);
    expect(ctx(w).lanes.map((l) => l.cards)).toEqual([[], [], ['c1']]);
  });
});
