/**
 * The board projection: every board's and card's view (boardViews.ts), folded from the journal of
 * board and card actors (one follower per kind on MOE_EVT), so the board and card routes read
 * memory instead of replaying an actor's journal on every request, and a move is validated
 * (tenancy, the card's board) and answered without a journal read.
 *
 * Read-your-writes: a route that sent a command gets the turn's `seq` back from the bus and waits
 * with {@link BoardProjection.until} until the projection applied that turn (or the card turn that
 * applied a board placement), so its answer shows what it did. An id the projection does not know
 * yet (an actor created over NATS a moment ago) is looked up once with the actor's last journal
 * entry (`bus.lastRecord`: one direct get, not a replay) and waited for when it exists.
 *
 * Like the tenancy projection it is rebuilt from the journal at every gateway start (no snapshot):
 * boards and cards live in workspaces, whose journals the nodes may purge behind verified backups,
 * and a card whose `card.created` was purged is unknown to it (as it was to the journal replay this
 * replaces).
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import type { FastifyBaseLogger } from 'fastify';
import type { JournalRecord } from '../schemas/index.js';
import {
  emptyCardFold,
  foldBoard,
  foldCard,
  type BoardView,
  type CardFold,
  type CardView,
} from './boardViews.js';
import { followJournal, type JournalFollower } from './journalFollower.js';

export const BOARD_PROJECTION_KINDS = ['board', 'card'] as const;
export type BoardProjectionKind = (typeof BOARD_PROJECTION_KINDS)[number];

interface Waiter {
  check: () => boolean;
  resolve: () => void;
}

const keyOf = (kind: string, id: string) => `${kind}.${id}`;

export class BoardProjection {
  private readonly boards = new Map<string, BoardView>();
  private readonly cards = new Map<string, CardFold>();
  /** project → its board ids, in creation order */
  private readonly boardsByProject = new Map<string, string[]>();
  /** kind.id → the MOE_EVT sequence of the last entry whose turns are all applied */
  private readonly applied = new Map<string, number>();
  /** kind.id → the last turn applied (an entry may carry several turns of one actor) */
  private readonly turns = new Map<string, number>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private followers: JournalFollower[] = [];

  get ready(): boolean {
    return this.followers.length > 0 && this.followers.every((f) => f.caughtUp);
  }

  /** Follows board and card journals from the start; resolves once the history present is folded. */
  async start(js: JetStreamClient, log: FastifyBaseLogger): Promise<void> {
    this.followers = BOARD_PROJECTION_KINDS.map((k) =>
      followJournal(js, `moe.evt.*.*.${k}.*`, (seq, rec, endsEntry) => this.apply(seq, rec, endsEntry), log),
    );
    await Promise.all(this.followers.map((f) => f.started()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.followers.map((f) => f.stop()));
    for (const set of this.waiters.values()) for (const w of set) w.resolve();
    this.waiters.clear();
  }

  /**
   * Applies one journaled turn of a board or card actor (exported for tests). Turns are counted by
   * their number, not their entry's sequence: a group commit puts several turns of one actor in one
   * entry (two card.create of an agent, two card.add to a board), and each is applied once. Waits
   * for the entry's sequence resolve after its last turn (`endsEntry`).
   */
  apply(seq: number, rec: JournalRecord, endsEntry = true): void {
    const { kind, id, org, ws } = rec.actor;
    const key = keyOf(kind, id);
    if ((this.turns.get(key) ?? 0) >= rec.turn) return;
    if (kind === 'board') {
      const before = this.boards.get(id) ?? null;
      const view = foldBoard(before, id, ws, { seq, rec });
      if (view && view !== before) {
        this.boards.set(id, view);
        const list = this.boardsByProject.get(view.project) ?? [];
        if (!list.includes(id)) this.boardsByProject.set(view.project, [...list, id]);
      }
    } else if (kind === 'card') {
      let f = this.cards.get(id);
      if (!f) this.cards.set(id, (f = emptyCardFold()));
      foldCard(f, id, { org, ws }, { seq, rec });
    } else return;
    this.turns.set(key, rec.turn);
    if (!endsEntry) return;
    this.applied.set(key, seq);
    const waiting = this.waiters.get(key);
    if (waiting)
      for (const w of [...waiting])
        if (w.check()) {
          waiting.delete(w);
          w.resolve();
        }
    if (waiting?.size === 0) this.waiters.delete(key);
  }

  /** The board's view; null when unknown or deleted. */
  board(id: string): BoardView | null {
    const view = this.boards.get(id);
    return view && !view.deleted ? view : null;
  }

  card(id: string): CardView | null {
    return this.cards.get(id)?.view ?? null;
  }

  /** The highest board placement the card has taken a turn on (0: none yet). */
  placementOf(card: string): number {
    return this.cards.get(card)?.placed ?? 0;
  }

  /** The MOE_EVT sequence of the actor's last turn applied here (0: none). */
  appliedSeq(kind: BoardProjectionKind, id: string): number {
    return this.applied.get(keyOf(kind, id)) ?? 0;
  }

  /** The project's boards, oldest first. */
  boardsOf(project: string): BoardView[] {
    return (this.boardsByProject.get(project) ?? []).flatMap((id) => this.board(id) ?? []);
  }

  /**
   * Resolves true once `ok()` holds, checked now and after each turn of the actor applied here;
   * false after `timeoutMs` (the caller decides what a lagging projection means).
   */
  until(kind: BoardProjectionKind, id: string, ok: () => boolean, timeoutMs: number): Promise<boolean> {
    if (ok()) return Promise.resolve(true);
    const key = keyOf(kind, id);
    return new Promise<boolean>((resolve) => {
      let set = this.waiters.get(key);
      if (!set) this.waiters.set(key, (set = new Set()));
      const waiter: Waiter = {
        check: ok,
        resolve: () => {
          clearTimeout(timer);
          resolve(ok());
        },
      };
      const timer = setTimeout(() => {
        set.delete(waiter);
        if (set.size === 0) this.waiters.delete(key);
        resolve(ok());
      }, timeoutMs);
      set.add(waiter);
    });
  }

  /** Resolves true once the actor's turn at MOE_EVT sequence `seq` (or a later one) is applied. */
  reached(kind: BoardProjectionKind, id: string, seq: number, timeoutMs: number): Promise<boolean> {
    return this.until(kind, id, () => this.appliedSeq(kind, id) >= seq, timeoutMs);
  }
}
