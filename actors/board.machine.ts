/**
 * The `board` actor (seed 002): a project's board, its lanes (with WIP limits) and the order of its
 * cards. It is the only writer of positions, so every placement of a card — add, move, remove —
 * is one turn of this actor, and positions stay a total order whatever the interleaving of requests.
 *
 *   new ──board.create──▶ active ──board.update / card.add / card.move / card.remove──▶ active …
 *                          active ──board.delete──▶ deleted (final; every card on it gets card.delete)
 *
 * Each accepted placement is forwarded to the card actor as `card.placed` (an `actor.send` effect:
 * durable, re-driven with the same id after a crash) with a per-card `seq`, so the card applies
 * placements in the board's order even when two sends overtake each other. A refused placement
 * (`board.move.refused`: WIP limit, unknown lane or card) changes nothing; when the card itself asked
 * (`byCard`, its exit criteria) the board tells it with `card.refused`, and the card blocks; when
 * an agent of another card created it (`card.add` with `createdBy`), that card is told with
 * `card.spawn.refused`.
 */
import { enqueueActions, setup } from 'xstate';
import type { BoardCommands, CardConfig, SystemCommands } from '../schemas/index.js';
import { lanesOf, place, relane, removeCard, type BoardLane } from './boardOrder.js';
import type { CommandEvents } from './commandEvents.js';
import { fx, kernelActions } from './contract.js';
import { noInputs, type EffectInputs } from './effects.js';

export interface BoardContext {
  id: string;
  project: string;
  name: string;
  lanes: BoardLane[];
  /** card → how many placements the board has sent it (the `seq` of the last) */
  seqs: Record<string, number>;
  /** placements refused so far (counting them also makes the refusal a journaled, accepted turn) */
  refusals: number;
}

type BoardEvent = CommandEvents<typeof BoardCommands> | CommandEvents<typeof SystemCommands>;

export const boardEffectInputs: EffectInputs<BoardContext> = { 'actor.send': noInputs };

export const boardMachine = setup({
  types: { context: {} as BoardContext, events: {} as BoardEvent },
  actions: {
    ...kernelActions,
    placeCard: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'card.add' && event.type !== 'card.move') return;
      const d = event.data;
      const adding = event.type === 'card.add';
      const out = place(context.lanes, d.card, d.lane, d.position, adding ? 'add' : 'move');
      if (!out.ok) {
        enqueue.assign({ refusals: context.refusals + 1 });
        enqueue({
          type: 'emit',
          params: {
            type: 'board.move.refused',
            card: d.card,
            lane: d.lane,
            code: out.code,
            reason: out.reason,
          },
        });
        if (event.type === 'card.add' && event.data.createdBy)
          enqueue({
            type: 'effect',
            params: {
              id: fx(event),
              kind: 'actor.send',
              to: { kind: 'card', id: event.data.createdBy.card },
              type: 'card.spawn.refused',
              data: {
                card: d.card,
                lane: d.lane,
                workflow: event.data.createdBy.workflow,
                code: out.code,
                reason: out.reason,
              },
            },
          });
        if (event.type === 'card.move' && event.data.byCard)
          enqueue({
            type: 'effect',
            params: {
              id: fx(event),
              kind: 'actor.send',
              to: { kind: 'card', id: d.card },
              type: 'card.refused',
              data: { lane: d.lane, code: out.code, reason: out.reason },
            },
          });
        return;
      }
      const seq = (context.seqs[d.card] ?? 0) + 1;
      enqueue.assign({ lanes: out.lanes, seqs: { ...context.seqs, [d.card]: seq } });
      enqueue({
        type: 'emit',
        params: {
          type: 'board.card.placed',
          card: d.card,
          from: out.from,
          to: out.to,
          position: out.position,
          order: out.order,
        },
      });
      const config: CardConfig | undefined = d.config;
      enqueue({
        type: 'effect',
        params: {
          id: fx(event),
          kind: 'actor.send',
          to: { kind: 'card', id: d.card },
          type: 'card.placed',
          data: {
            card: d.card,
            board: context.id,
            project: context.project,
            lane: out.to,
            position: out.position,
            seq,
            ...(event.type === 'card.add'
              ? {
                  title: event.data.title,
                  ...(event.data.description !== undefined ? { description: event.data.description } : {}),
                  ...(event.data.assignee != null ? { assignee: event.data.assignee } : {}),
                }
              : {}),
            ...(config ? { config } : {}),
          },
        },
      });
    }),
  },
  guards: {
    isOnBoard: ({ context, event }) =>
      event.type === 'card.remove' && context.lanes.some((l) => l.cards.includes(event.data.card)),
  },
}).createMachine({
  id: 'board',
  initial: 'new',
  context: { id: '', project: '', name: '', lanes: [], seqs: {}, refusals: 0 },
  states: {
    new: {
      on: {
        'board.create': {
          guard: ({ event }) => new Set(event.data.lanes.map((l) => l.id)).size === event.data.lanes.length,
          target: 'active',
          actions: enqueueActions(({ event, enqueue }) => {
            const d = event.data;
            enqueue.assign({ id: d.board, project: d.project, name: d.name, lanes: lanesOf(d.lanes) });
            enqueue({
              type: 'emit',
              params: { type: 'board.created', project: d.project, name: d.name, lanes: d.lanes },
            });
          }),
        },
      },
    },
    active: {
      on: {
        'board.delete': {
          target: 'deleted',
          actions: enqueueActions(({ context, event, enqueue }) => {
            const cards = context.lanes.flatMap((l) => l.cards);
            enqueue.assign({ lanes: lanesOf(context.lanes), seqs: {} });
            enqueue({ type: 'emit', params: { type: 'board.deleted', cards } });
            for (const [i, card] of cards.entries())
              enqueue({
                type: 'effect',
                params: {
                  id: fx(event, i),
                  kind: 'actor.send',
                  to: { kind: 'card', id: card },
                  type: 'card.delete',
                  data: {},
                },
              });
          }),
        },
        'board.update': {
          guard: ({ event }) =>
            event.data.lanes === undefined ||
            new Set(event.data.lanes.map((l) => l.id)).size === event.data.lanes.length,
          actions: enqueueActions(({ context, event, enqueue }) => {
            const d = event.data;
            const out = d.lanes ? relane(context.lanes, d.lanes) : null;
            if (out && !out.ok) {
              enqueue.assign({ refusals: context.refusals + 1 });
              enqueue({
                type: 'emit',
                params: { type: 'board.update.refused', code: out.code, reason: out.reason },
              });
              return;
            }
            enqueue.assign({
              ...(d.name !== undefined ? { name: d.name } : {}),
              ...(out ? { lanes: out.lanes } : {}),
            });
            enqueue({
              type: 'emit',
              params: {
                type: 'board.updated',
                ...(d.name !== undefined ? { name: d.name } : {}),
                ...(d.lanes !== undefined ? { lanes: d.lanes } : {}),
              },
            });
          }),
        },
        'card.add': { actions: 'placeCard' },
        'card.move': { actions: 'placeCard' },
        'card.remove': {
          guard: 'isOnBoard',
          actions: enqueueActions(({ context, event, enqueue }) => {
            const out = removeCard(context.lanes, event.data.card);
            if (!out) return;
            const seqs = { ...context.seqs };
            delete seqs[event.data.card];
            enqueue.assign({ lanes: out.lanes, seqs });
            enqueue({
              type: 'emit',
              params: { type: 'board.card.removed', card: event.data.card, lane: out.lane, order: out.order },
            });
            enqueue({
              type: 'effect',
              params: {
                id: fx(event),
                kind: 'actor.send',
                to: { kind: 'card', id: event.data.card },
                type: 'card.delete',
                data: {},
              },
            });
          }),
        },
      },
    },
    deleted: { type: 'final' },
  },
});
