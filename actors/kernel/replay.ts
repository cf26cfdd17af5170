/**
 * Replay: rebuild actors' state from journal records (a session JSONL log, or MOE_EVT) by running
 * every command through the pure machines again. Records are applied in per-actor turn order; a
 * line seen twice (the log may repeat a record after a crash) is skipped by its sequence.
 */
import { addressKey, JsonlLine, SchemaError, codec, type JournalRecord } from '../../schemas/index.js';
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
  return {
    type: record.cmd.type,
    data: record.cmd.data ?? {},
    id: record.cmd.id,
    at: record.cmd.at,
    turn: record.turn,
    session: record.session,
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

  apply(seq: number, record: JournalRecord): void {
    const key = addressKey(record.actor);
    const host = this.host(record.actor.kind);
    let actor = this.actors.get(key);
    if (!actor) {
      actor = {
        key,
        kind: record.actor.kind,
        snapshot: host.initial(),
        turn: 0,
        lastSeq: 0,
        divergences: [],
      };
      this.actors.set(key, actor);
    }
    if (seq <= actor.lastSeq || record.turn <= actor.turn) {
      this.skipped++;
      return;
    }
    if (record.turn !== actor.turn + 1) {
      throw new Error(
        `${key}: turn ${record.turn} follows turn ${actor.turn} (gap in the log at seq ${seq})`,
      );
    }
    const event = eventFromRecord(record);
    const out = host.apply(actor.snapshot, event);
    const replayed = stateString(out.next);
    if (replayed !== record.state) actor.divergences.push({ seq, recorded: record.state, replayed });
    actor.snapshot = out.next;
    actor.turn = record.turn;
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
