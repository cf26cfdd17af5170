/**
 * How an actor comes into memory and when it leaves: the seam that keeps the `alwaysReplay` test
 * mode out of the kernel's hot path.
 *
 * Normally ({@link cachedActivation}) an actor is activated from its cached snapshot in
 * sessions.db, an entry carries up to 64 turns, and the actor stays resident until it idles.
 * With `alwaysReplay` ({@link replayingActivation}, Restate's test mode) every activation rebuilds
 * the actor from the journal, every entry carries one turn, and the actor is evicted after each
 * turn — so every turn proves that replay reproduces what the live run computed.
 */
import type { ActorCell } from './actorCell.js';
import type { ActorRow, SessionStore } from './sessionStore.js';

/** turns per journal entry at most (bounds an entry's size and a batch's latency) */
export const MAX_TURNS_PER_ENTRY = 64;

export interface Activation {
  /** turns one journal entry carries at most */
  readonly maxTurnsPerEntry: number;
  /** The cached row a new cell starts from; undefined: the machine's initial state. */
  cachedRow(key: string): ActorRow | undefined;
  /** Called with each new cell; `catchUp` queues its rebuild from the journal before any command. */
  activated(cell: ActorCell, catchUp: (cell: ActorCell) => void): void;
  /** Called after each batch of a cell's commands; may evict the cell from `resident`. */
  afterBatch(cell: ActorCell, resident: Map<string, ActorCell>): void;
}

const nothing = (): void => undefined;

/** From the cache, resident until idle. */
export function cachedActivation(store: SessionStore): Activation {
  return {
    maxTurnsPerEntry: MAX_TURNS_PER_ENTRY,
    cachedRow: (key) => store.load(key),
    activated: nothing,
    afterBatch: nothing,
  };
}

/** From the journal on every activation, one turn per entry, evicted after every turn. */
export const replayingActivation: Activation = {
  maxTurnsPerEntry: 1,
  cachedRow: () => undefined,
  activated: (cell, catchUp) => catchUp(cell),
  afterBatch: (cell, resident) => {
    // `queued <= 1`: only the batch that is finishing is queued on the cell.
    if (cell.mailbox.length === 0 && cell.queued <= 1) resident.delete(cell.key);
  },
};
