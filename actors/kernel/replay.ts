/**
 * Replay: rebuild actors' state from journal entries (a session JSONL log, or MOE_EVT) by running
 * every command through the pure machines again. Turns are applied in per-actor turn order; a
 * line seen twice (the log may repeat an entry after a crash) is skipped by its turn numbers.
 */
import {
  addressKey,
  JsonlLine,
  SchemaError,
  codec,
  entryTurns,
  type ActorAddress,
  type AnyJournalEntry,
  type JournalRecord,
  type TurnRecord,
} from '../../schemas/index.js';
import type { KernelEvent } from '../contract.js';
import type { ActorRegistry } from '../registry.js';
import { MachineHost, stateString } from './machineHost.js';
import type { AnyMachineSnapshot } from 'xstate';

const lineCodec = codec(JsonlLine, 'JsonlLine');

export interface ReplayedActor {
  readonly key: string;
  readonly kind: string;
  snapshot: AnyMachineSnapshot;
  turn: number;
  lastSeq: number;
  /** records whose recomputed state differed from the state they recorded */
  divergences: Array<{ seq: number; recorded: string; replayed: string }>;
}

/** The machine event a journal record was made from: replaying it reproduces the turn. */
export function eventFromRecord(record: JournalRecord): KernelEvent {
  return eventFromTurn(record, record.session);
}

function eventFromTurn(turn: TurnRecord, session: string): KernelEvent {
  return {
    type: turn.cmd.type,
    data: turn.cmd.data ?? {},
    id: turn.cmd.id,
    at: turn.cmd.at,
    turn: turn.turn,
    session,
  };
}

export class Replayer {
  readonly actors = new Map<string, ReplayedActor>();
  readonly hosts = new Map<string, MachineHost>();
  applied = 0;
  skipped = 0;

  constructor(private readonly registry: ActorRegistry) {}

  host(kind: string): MachineHost {
    let h = this.hosts.get(kind);
    if (!h) {
      const k = this.registry.get(kind);
      if (!k) throw new Error(`unknown actor kind "${kind}" in journal`);
      h = new MachineHost(k.machine);
      this.hosts.set(kind, h);
    }
    return h;
  }

  /** Applies every turn of one journal entry stored at `seq`. */
  apply(seq: number, entry: AnyJournalEntry): void {
    const actor = this.actorOf(entry.actor);
    for (const turn of entryTurns(entry)) this.step(actor, seq, turn, entry.session);
  }

  private actorOf(address: ActorAddress): ReplayedActor {
    const key = addressKey(address);
    let actor = this.actors.get(key);
    if (!actor) {
      actor = {
        key,
        kind: address.kind,
        snapshot: this.host(address.kind).initial(),
        turn: 0,
        lastSeq: 0,
        divergences: [],
      };
      this.actors.set(key, actor);
    }
    return actor;
  }

  private step(actor: ReplayedActor, seq: number, turn: TurnRecord, session: string): void {
    if (seq < actor.lastSeq || turn.turn <= actor.turn) {
      this.skipped++;
      return;
    }
    if (turn.turn !== actor.turn + 1) {
      throw new Error(
        `${actor.key}: turn ${turn.turn} follows turn ${actor.turn} (gap in the log at seq ${seq})`,
      );
    }
    const out = this.host(actor.kind).apply(actor.snapshot, eventFromTurn(turn, session));
    const replayed = stateString(out.next);
    if (replayed !== turn.state) actor.divergences.push({ seq, recorded: turn.state, replayed });
    actor.snapshot = out.next;
    actor.turn = turn.turn;
    actor.lastSeq = seq;
    this.applied++;
  }

  /** Applies one JSONL line (`{"seq":…,"rec":…}`); `validate` checks it against the schema. */
  applyLine(line: string, validate = false): void {
    if (!line) return;
    let parsed: JsonlLine;
    try {
      parsed = JSON.parse(line) as JsonlLine;
    } catch (cause) {
      throw new SchemaError('JsonlLine', '', 'not valid JSON', { cause });
    }
    if (validate) lineCodec.check(parsed);
    this.apply(parsed.seq, parsed.rec);
  }

  persisted(key: string): unknown {
    const a = this.actors.get(key);
    return a ? this.host(a.kind).persist(a.snapshot) : undefined;
  }
}

/** Paths where two JSON values differ (first 20). */
export function jsonDiff(a: unknown, b: unknown, path = '$', out: string[] = []): string[] {
  if (out.length >= 20) return out;
  if (a === b) return out;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') {
    out.push(`${path}: ${JSON.stringify(a)?.slice(0, 80)} ≠ ${JSON.stringify(b)?.slice(0, 80)}`);
    return out;
  }
  if (Array.isArray(a) !== Array.isArray(b)) {
    out.push(`${path}: array ≠ object`);
    return out;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  for (const k of new Set([...Object.keys(ao), ...Object.keys(bo)]))
    jsonDiff(ao[k], bo[k], `${path}.${k}`, out);
  return out;
}
