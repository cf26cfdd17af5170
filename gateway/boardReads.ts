/**
 * How the board and card routes read views: from the board projection (boardProjection.ts), never
 * by replaying an actor's journal. An id the projection does not know costs one direct get of the
 * actor's last journal entry (to tell "unknown" from "created a moment ago, not applied yet"); a
 * route that just sent a command waits until the projection applied the turn it got back.
 * Answers are copies, so a turn applied while one is serialized does not change it halfway.
 */
import type { ActorAddress } from '../schemas/index.js';
import type { BoardView, CardView } from './boardViews.js';
import type { GatewayContext } from './context.js';
import { errors } from './errors.js';

type Kind = 'board' | 'card';

const viewOf = (ctx: GatewayContext, kind: Kind, id: string): BoardView | CardView | null =>
  kind === 'board' ? ctx.boards.board(id) : ctx.boards.card(id);

async function known(ctx: GatewayContext, kind: Kind, addr: ActorAddress) {
  const view = viewOf(ctx, kind, addr.id);
  if (view) return view;
  const last = await ctx.bus.lastRecord(addr);
  if (!last) return null;
  await ctx.boards.reached(kind, addr.id, last.seq, ctx.commandTimeoutMs);
  return viewOf(ctx, kind, addr.id);
}

/** The board's view, or null when it has no journal (never created, or not a board). */
export async function knownBoard(ctx: GatewayContext, addr: ActorAddress): Promise<BoardView | null> {
  const view = (await known(ctx, 'board', addr)) as BoardView | null;
  return view ? structuredClone(view) : null;
}

/** The card's view, or null when it has no journal. */
export async function knownCard(ctx: GatewayContext, addr: ActorAddress): Promise<CardView | null> {
  const view = (await known(ctx, 'card', addr)) as CardView | null;
  return view ? structuredClone(view) : null;
}

/** The actor's view once the projection applied its turn at MOE_EVT sequence `seq` (504 if it lags). */
export async function viewAfter(
  ctx: GatewayContext,
  kind: 'board',
  id: string,
  seq: number,
): Promise<BoardView>;
export async function viewAfter(
  ctx: GatewayContext,
  kind: 'card',
  id: string,
  seq: number,
): Promise<CardView>;
export async function viewAfter(ctx: GatewayContext, kind: Kind, id: string, seq: number) {
  if (!(await ctx.boards.reached(kind, id, seq, ctx.commandTimeoutMs)))
    throw errors.TIMEOUT(`the ${kind} view of ${id} at ${seq}`);
  const view = viewOf(ctx, kind, id);
  if (!view) throw errors.NOT_FOUND(`${kind} ${id}`);
  return structuredClone(view);
}

/**
 * The card's view once it took its turn on board placement `placement`, and the board's turn that
 * placed it (`boardAt`: board id and MOE_EVT sequence) is applied too (504 if either lags): board
 * and card turns are followed separately, so one may be applied before the other.
 */
export async function cardAfterPlacement(
  ctx: GatewayContext,
  id: string,
  placement: number,
  boardAt: { id: string; seq: number },
) {
  if (!(await ctx.boards.reached('board', boardAt.id, boardAt.seq, ctx.commandTimeoutMs)))
    throw errors.TIMEOUT(`the board view of ${boardAt.id} at ${boardAt.seq}`);
  const ok = await ctx.boards.until(
    'card',
    id,
    () => ctx.boards.placementOf(id) >= placement && ctx.boards.card(id) !== null,
    ctx.commandTimeoutMs,
  );
  if (!ok) throw errors.TIMEOUT(`card ${id} applying placement ${placement}`);
  return structuredClone(ctx.boards.card(id)!);
}
