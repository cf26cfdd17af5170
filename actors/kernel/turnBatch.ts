/**
 * Turns from a mailbox batch: runs one actor's waiting commands through its machine, one turn
 * each, each from the snapshot the previous one left. Pure apart from the machine host: it reads
 * nothing else and writes nothing, so the kernel decides what is appended, acked or dead-lettered.
 * A command already applied (or repeated in the batch) makes no turn; one the machine throws on
 * makes no turn and is returned in `threw`.
 *
 * Bytes: with a `budget`, the turns are cut where the entry would exceed `budget.entryBytes`
 * (the server's max_payload less header room): the commands from there on are left for the next
 * entry (`consumed` says how many were used). A turn that alone exceeds the budget is never
 * appended: an `effect.result` is applied instead as `effect.failed` with MOE_ERR_RESULT_TOO_LARGE
 * (the machine ends the task with that code, and the result is listed in `substituted`); any other
 * command makes no turn and is returned in `tooLarge`.
 */
import { jsonBytes, type TurnRecord } from '../../schemas/index.js';
import { kernelErrors as errors } from './errors.js';
import type { KernelEvent } from '../contract.js';
import type { Mail } from './actorCell.js';
import { SETTLING } from './entryEffects.js';
import { stateString, statusOf, type MachineHost } from './machineHost.js';
import type { AnyMachineSnapshot } from 'xstate';

export interface TurnBatch {
  readonly turns: TurnRecord[];
  /** each turn as JSON (the entry is built from these, so nothing is serialized twice) */
  readonly turnJson: string[];
  /** the context after each turn (effects started by a turn run with it) */
  readonly contexts: unknown[];
  /** the snapshot after the last turn */
  readonly snapshot: AnyMachineSnapshot;
  /** commands that made no turn because they were applied before */
  readonly duplicates: Mail[];
  readonly threw: Array<{ readonly mail: Mail; readonly error: unknown }>;
  /** commands whose turn alone exceeds the entry budget: no turn */
  readonly tooLarge: Array<{ readonly mail: Mail; readonly bytes: number }>;
  /** effect results too large to journal, applied as `effect.failed` */
  readonly substituted: Array<{ readonly mail: Mail; readonly bytes: number }>;
  /** how many of `mails` this batch used; the rest wait for the next entry */
  readonly consumed: number;
}

export interface EntryBudget {
  /** the most bytes one entry may have */
  readonly entryBytes: number;
  /** bytes of the entry without its turns (`{"v":2,"actor":…,"session":…,"turns":[]}`) */
  readonly overheadBytes: number;
}

export function turnsFromBatch(
  host: MachineHost,
  from: { readonly snapshot: AnyMachineSnapshot; readonly turn: number; readonly session: string },
  mails: readonly Mail[],
  applied: ReadonlySet<string>,
  budget?: EntryBudget,
): TurnBatch {
  const seen = new Set(applied);
  const turns: TurnRecord[] = [];
  const turnJson: string[] = [];
  const contexts: unknown[] = [];
  const duplicates: Mail[] = [];
  const threw: TurnBatch['threw'] = [];
  const tooLarge: TurnBatch['tooLarge'] = [];
  const substituted: TurnBatch['substituted'] = [];
  let snapshot = from.snapshot;
  let bytes = budget?.overheadBytes ?? 0;
  let consumed = 0;
  for (const mail of mails) {
    if (seen.has(mail.cmd.id)) {
      duplicates.push(mail);
      consumed++;
      continue;
    }
    const turnNo = from.turn + turns.length + 1;
    let made = makeTurn(host, snapshot, mail, turnNo, from.session, mail.cmd);
    if (!made.ok) {
      threw.push({ mail, error: made.error });
      consumed++;
      continue;
    }
    let size = jsonBytes(made.json);
    if (budget && budget.overheadBytes + size > budget.entryBytes) {
      const failed = mail.cmd.type === 'effect.result' ? resultTooLarge(mail, size) : undefined;
      const instead = failed && makeTurn(host, snapshot, mail, turnNo, from.session, failed);
      if (instead?.ok && budget.overheadBytes + jsonBytes(instead.json) <= budget.entryBytes) {
        substituted.push({ mail, bytes: size });
        made = instead;
        size = jsonBytes(made.json);
      } else {
        tooLarge.push({ mail, bytes: size });
        consumed++;
        continue;
      }
    }
    if (budget && turns.length > 0 && bytes + size + 1 > budget.entryBytes) break; // next entry
    bytes += size + (turns.length > 0 ? 1 : 0);
    consumed++;
    seen.add(mail.cmd.id);
    turns.push(made.turn);
    turnJson.push(made.json);
    contexts.push(made.next.context);
    snapshot = made.next;
  }
  return { turns, turnJson, contexts, snapshot, duplicates, threw, tooLarge, substituted, consumed };
}

type Made =
  { ok: true; turn: TurnRecord; json: string; next: AnyMachineSnapshot } | { ok: false; error: unknown };

function makeTurn(
  host: MachineHost,
  snapshot: AnyMachineSnapshot,
  mail: Mail,
  turn: number,
  session: string,
  cmd: Mail['cmd'],
): Made {
  const { at } = mail;
  const event: KernelEvent = { type: cmd.type, data: cmd.data ?? {}, id: cmd.id, at, turn, session };
  let out;
  try {
    out = host.apply(snapshot, event);
  } catch (error) {
    return { ok: false, error };
  }
  const record: TurnRecord = {
    turn,
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
  };
  return { ok: true, turn: record, json: JSON.stringify(record), next: out.next };
}

/** The `effect.failed` applied in place of an effect result too large to journal. */
function resultTooLarge(mail: Mail, bytes: number): Mail['cmd'] {
  const e = errors.RESULT_TOO_LARGE(`${bytes} bytes`);
  return {
    id: mail.cmd.id,
    type: 'effect.failed',
    data: {
      effectId: String(mail.cmd.data?.effectId),
      error: { code: e.code, message: e.message, attempts: 1 },
    },
  };
}
