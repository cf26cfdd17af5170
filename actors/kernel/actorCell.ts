/**
 * An activated actor in memory: its current snapshot, its position in the journal, its mailbox of
 * commands waiting for a turn, and the serial queue that makes work on one actor run one piece at
 * a time (work on different actors overlaps).
 */
import type { JsMsg } from '@nats-io/jetstream';
import type { AnyMachineSnapshot } from 'xstate';
import type { ActorAddress, CommandEnvelope } from '../../schemas/index.js';
import type { ActorKind } from '../registry.js';
import type { MachineHost } from './machineHost.js';
import type { Span } from './tracing.js';

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
  /** commands delivered and checked, waiting for this actor's next append */
  mailbox: Mail[];
  /** a drain of the mailbox is queued or running */
  draining: boolean;
  tail: Promise<void>;
  queued: number;
  lastActive: number;
}

/** A delivered command on its way through a turn; `settled` once acked, nak'ed or dead-lettered. */
export interface Mail {
  readonly cmd: CommandEnvelope;
  /** epoch ms the command was stored in MOE_CMD */
  readonly at: number;
  readonly msg: JsMsg;
  settled: boolean;
  /** the span of this command's turn, while tracing is on (turnSpans.ts) */
  span?: Span | undefined;
  /** `performance.now()` when it was delivered here (turn latency metrics) */
  readonly received?: number;
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
