/**
 * The order of cards on a board, as pure functions: each lane is an array of card ids, so a card's
 * position is its index and positions are a total order (no duplicates, no gaps) by construction.
 * A placement removes the card from wherever it is and inserts it at the clamped position of its
 * target lane; a WIP limit refuses a placement that would add a card to a full lane (a move inside
 * one lane never changes its count, so it is never refused).
 */
import type { LaneSpec } from '../schemas/index.js';
import { machineErrors } from './errors.js';

export interface BoardLane {
  id: string;
  name: string;
  wipLimit?: number;
  cards: string[];
}

export type Placement =
  | {
      ok: true;
      lanes: BoardLane[];
      from: string | null;
      to: string;
      position: number;
      /** the lanes the placement touched, each with its cards in order */
      order: Record<string, string[]>;
    }
  | { ok: false; code: string; reason: string };

export function lanesOf(specs: readonly LaneSpec[]): BoardLane[] {
  return specs.map((l) => ({
    id: l.id,
    name: l.name,
    ...(l.wipLimit !== undefined ? { wipLimit: l.wipLimit } : {}),
    cards: [],
  }));
}

/**
 * The lanes after replacing their specs with `specs` (the whole new list, in order): kept lanes keep
 * their cards, new ones start empty. Refused when a lane left out still holds cards.
 */
export function relane(
  lanes: readonly BoardLane[],
  specs: readonly LaneSpec[],
): { ok: true; lanes: BoardLane[] } | { ok: false; code: string; reason: string } {
  const kept = new Set(specs.map((s) => s.id));
  const dropped = lanes.find((l) => !kept.has(l.id) && l.cards.length > 0);
  if (dropped)
    return {
      ok: false,
      code: machineErrors.LANE_NOT_EMPTY.spec.code,
      reason: `lane ${dropped.id} holds ${dropped.cards.length} card(s)`,
    };
  const cardsOf = new Map(lanes.map((l) => [l.id, l.cards]));
  return {
    ok: true,
    lanes: lanesOf(specs).map((l) => ({ ...l, cards: [...(cardsOf.get(l.id) ?? [])] })),
  };
}

export function laneOf(lanes: readonly BoardLane[], card: string): BoardLane | undefined {
  return lanes.find((l) => l.cards.includes(card));
}

const refuse = (code: { spec: { code: string } }, reason: string): Placement => ({
  ok: false,
  code: code.spec.code,
  reason,
});

/**
 * Places `card` in lane `to` at `position` (the end when absent or past it).
 * `mode: 'add'` refuses a card already on the board, `'move'` one that is not.
 *
 * @example
 *   place(lanes, 'c1', 'todo', 0, 'add') // → { ok: true, position: 0, order: { todo: ['c1', …] }, … }
 */
export function place(
  lanes: readonly BoardLane[],
  card: string,
  to: string,
  position: number | undefined,
  mode: 'add' | 'move',
): Placement {
  const target = lanes.find((l) => l.id === to);
  if (!target) return refuse(machineErrors.LANE_UNKNOWN, `no lane ${to} on this board`);
  const current = laneOf(lanes, card);
  if (mode === 'add' && current) return refuse(machineErrors.CARD_EXISTS, `card ${card} is on the board`);
  if (mode === 'move' && !current)
    return refuse(machineErrors.CARD_UNKNOWN, `card ${card} is not on the board`);
  if (current?.id !== to && target.wipLimit !== undefined && target.cards.length >= target.wipLimit)
    return refuse(
      machineErrors.WIP_LIMIT,
      `lane ${to} holds ${target.cards.length} of at most ${target.wipLimit} cards`,
    );
  const without = lanes.map((l) => (l === current ? { ...l, cards: l.cards.filter((c) => c !== card) } : l));
  const dest = without.find((l) => l.id === to)!;
  const at = Math.min(position ?? dest.cards.length, dest.cards.length);
  const cards = [...dest.cards.slice(0, at), card, ...dest.cards.slice(at)];
  const next = without.map((l) => (l.id === to ? { ...l, cards } : l));
  const order: Record<string, string[]> = { [to]: cards };
  if (current && current.id !== to) order[current.id] = next.find((l) => l.id === current.id)!.cards;
  return { ok: true, lanes: next, from: current?.id ?? null, to, position: at, order };
}

/** Takes `card` off the board; undefined when it is not on it. */
export function removeCard(
  lanes: readonly BoardLane[],
  card: string,
): { lanes: BoardLane[]; lane: string; order: Record<string, string[]> } | undefined {
  const current = laneOf(lanes, card);
  if (!current) return undefined;
  const cards = current.cards.filter((c) => c !== card);
  return {
    lanes: lanes.map((l) => (l.id === current.id ? { ...l, cards } : l)),
    lane: current.id,
    order: { [current.id]: cards },
  };
}
