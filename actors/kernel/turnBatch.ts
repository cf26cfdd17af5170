/**
 * Turns from a mailbox batch: runs one actor's waiting commands through its machine, one turn
 * each, each from the snapshot the previous one left. Pure apart from the machine host: it reads
 * nothing else and writes nothing, so the kernel decides what is appended, acked or dead-lettered.
 * A command already applied (or repeated in the batch) makes no turn; one the machine throws on
 * makes no turn and is returned in `threw`.
 */
import type { TurnRecord } from '../../schemas/index.js';
import type { KernelEvent } from '../contract.js';
import type { Mail } from './actorCell.js';
import { SETTLING } from './entryEffects.js';
import { stateString, statusOf, type MachineHost } from './machineHost.js';
import type { AnyMachineSnapshot } from 'xstate';

export interface TurnBatch {
  readonly turns: TurnRecord[];
  /** the context after each turn (effects started by a turn run with it) */
  readonly contexts: unknown[];
  /** the snapshot after the last turn */
  readonly snapshot: AnyMachineSnapshot;
  /** commands that made no turn because they were applied before */
  readonly duplicates: Mail[];
  readonly threw: Array<{ readonly mail: Mail; readonly error: unknown }>;
}

export function turnsFromBatch(
  host: MachineHost,
  from: { readonly snapshot: AnyMachineSnapshot; readonly turn: number; readonly session: string },
  mails: readonly Mail[],
  applied: ReadonlySet<string>,
): TurnBatch {
  const seen = new Set(applied);
  const batch: TurnBatch = { turns: [], contexts: [], snapshot: from.snapshot, duplicates: [], threw: [] };
  let snapshot = from.snapshot;
  for (const mail of mails) {
    const { cmd, at } = mail;
    if (seen.has(cmd.id)) {
      batch.duplicates.push(mail);
      continue;
    }
    const event: KernelEvent = {
      type: cmd.type,
      data: cmd.data ?? {},
      id: cmd.id,
      at,
      turn: from.turn + batch.turns.length + 1,
      session: from.session,
    };
    let out;
    try {
      out = host.apply(snapshot, event);
    } catch (error) {
      batch.threw.push({ mail, error });
      continue;
    }
    seen.add(cmd.id);
    batch.turns.push({
      turn: event.turn,
      cmd:
        cmd.data === undefined
          ? { id: cmd.id, type: cmd.type, at }
          : { id: cmd.id, type: cmd.type, at, data: cmd.data },
      state: stateString(out.next),
      status: statusOf(out.next),
      events:
        out.accepted || SETTLING.has(cmd.type)
          ? out.emits
          : [
              {
                type: 'command.rejected',
                command: cmd.type,
                state: stateString(snapshot),
                reason: `${cmd.type} is not accepted in state ${stateString(snapshot)}`,
              },
            ],
      effects: out.effects,
      cancels: out.cancels,
    });
    batch.contexts.push(out.next.context);
    snapshot = out.next;
  }
  return { ...batch, snapshot };
}
