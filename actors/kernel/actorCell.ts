/**
 * An activated actor in memory: its current snapshot, its position in the journal, and the serial
 * queue that makes turns of one actor run one at a time (turns of different actors overlap).
 */
import type { AnyMachineSnapshot } from 'xstate';
import type { ActorAddress } from '../../schemas/index.js';
import type { ActorKind } from '../registry.js';
import type { MachineHost } from './machineHost.js';

export interface ActorCell {
  readonly address: ActorAddress;
  readonly key: string;
  readonly kind: ActorKind;
  readonly host: MachineHost;
  snapshot: AnyMachineSnapshot;
  /** turns applied so far (the next record's turn is turn + 1) */
  turn: number;
  /** MOE_EVT sequence of this actor's last record (0: none) — the expected-last-subject-sequence */
  lastSeq: number;
  /** the session log this actor writes to (fixed by its first turn) */
  session: string | null;
  tail: Promise<void>;
  queued: number;
  lastActive: number;
}

/** Runs `work` after every earlier piece of work queued on this cell. */
export function enqueue(cell: ActorCell, work: () => Promise<void>, now: () => number): Promise<void> {
  cell.queued++;
  const run = cell.tail.then(work).finally(() => {
    cell.queued--;
    cell.lastActive = now();
  });
  cell.tail = run.catch(() => undefined);
  return run;
}
