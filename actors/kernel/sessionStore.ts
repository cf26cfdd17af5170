/**
 * `sessions.db`: the kernel's cache of the journal. Per actor: its persisted snapshot, turn count
 * and the MOE_EVT sequence of its last record; the command ids it applied (dedupe); its pending
 * effects and durable timers; the recorded outcomes of effects still in flight (`effectOutcomes.ts`).
 * Everything a turn changes is written in ONE transaction, so the
 * snapshot and "command X was applied" can never disagree. SQLite is never ahead of the journal:
 * a turn is committed here only after its record was appended to MOE_EVT.
 */
import Database from 'better-sqlite3';
import type { EffectSpec } from '../../schemas/index.js';
import { EFFECT_OUTCOMES_SCHEMA } from './effectOutcomes.js';

export interface ActorRow {
  key: string;
  kind: string;
  session: string;
  turn: number;
  last_seq: number;
  state: string;
  status: string;
  snapshot: string;
}

export interface PendingEffect {
  key: string;
  effect_id: string;
  kind: string;
  spec: string;
  fire_at: number | null;
  /** the W3C trace context of the turn that started it (tracing.ts `serializeTrace`), or null */
  trace: string | null;
}

/** What one journal entry (one or more turns of one actor) changes in the cache. */
export interface TurnCommit {
  readonly row: ActorRow;
  /** the commands the entry's turns applied, in order */
  readonly commandIds: readonly string[];
  readonly seq: number;
  /** effects started by the entry and still pending at its end */
  readonly startedEffects: readonly EffectSpec[];
  /** per started effect, the trace context to run it under (tracing on), stored with the effect */
  readonly effectTraces?: ReadonlyArray<string | null>;
  /** effect ids the entry resolved (effect.result / effect.failed / timer.fired) or cancelled */
  readonly settledEffects: readonly string[];
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS actors (
  key TEXT PRIMARY KEY, kind TEXT NOT NULL, session TEXT NOT NULL, turn INTEGER NOT NULL,
  last_seq INTEGER NOT NULL, state TEXT NOT NULL, status TEXT NOT NULL, snapshot TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS applied (
  key TEXT NOT NULL, cmd_id TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (key, cmd_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS effects (
  key TEXT NOT NULL, effect_id TEXT NOT NULL, kind TEXT NOT NULL, spec TEXT NOT NULL, fire_at INTEGER,
  trace TEXT, PRIMARY KEY (key, effect_id)) WITHOUT ROWID;
`;

/** sessions.db files made before effects kept their trace context get the column (null: no trace). */
function addTraceColumn(db: Database.Database): void {
  const columns = db.prepare<[], { name: string }>('PRAGMA table_info(effects)').all();
  if (!columns.some((c) => c.name === 'trace')) db.exec('ALTER TABLE effects ADD COLUMN trace TEXT');
}

export function openSqlite(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // NORMAL: commits survive a process crash (kill -9); the journal covers machine crashes.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  return db;
}

export class SessionStore {
  private readonly stmts;
  /** commits a batch of turns in ONE transaction (group commit; a batch of one is fine) */
  readonly commitMany: (cs: readonly TurnCommit[]) => void;

  constructor(readonly db: Database.Database) {
    db.exec(SCHEMA);
    addTraceColumn(db);
    db.exec(EFFECT_OUTCOMES_SCHEMA);
    this.stmts = {
      load: db.prepare<[string], ActorRow>('SELECT * FROM actors WHERE key = ?'),
      upsert: db.prepare(
        `INSERT INTO actors (key, kind, session, turn, last_seq, state, status, snapshot)
         VALUES (@key, @kind, @session, @turn, @last_seq, @state, @status, @snapshot)
         ON CONFLICT(key) DO UPDATE SET turn = excluded.turn, last_seq = excluded.last_seq,
           state = excluded.state, status = excluded.status, snapshot = excluded.snapshot`,
      ),
      isApplied: db.prepare<[string, string], { seq: number }>(
        'SELECT seq FROM applied WHERE key = ? AND cmd_id = ?',
      ),
      appliedAmong: db
        .prepare<[string, string], string>(
          'SELECT cmd_id FROM applied WHERE key = ? AND cmd_id IN (SELECT value FROM json_each(?))',
        )
        .pluck(),
      apply: db.prepare('INSERT OR IGNORE INTO applied (key, cmd_id, seq) VALUES (?, ?, ?)'),
      addEffect: db.prepare(
        'INSERT OR REPLACE INTO effects (key, effect_id, kind, spec, fire_at, trace) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      delEffect: db.prepare('DELETE FROM effects WHERE key = ? AND effect_id = ?'),
      delOutcome: db.prepare('DELETE FROM effect_outcomes WHERE key = ? AND effect_id = ?'),
      pending: db.prepare<[], PendingEffect>('SELECT * FROM effects ORDER BY key, effect_id'),
      pendingOf: db.prepare<[string], PendingEffect>('SELECT * FROM effects WHERE key = ?'),
    };
    const s = this.stmts;
    const one = (c: TurnCommit) => {
      s.upsert.run(c.row);
      for (const id of c.commandIds) s.apply.run(c.row.key, id, c.seq);
      for (const id of c.settledEffects) {
        s.delEffect.run(c.row.key, id);
        s.delOutcome.run(c.row.key, id); // applied: the recorded outcome is no longer needed
      }
      c.startedEffects.forEach((e, i) =>
        s.addEffect.run(
          c.row.key,
          e.id,
          e.kind,
          JSON.stringify(e),
          typeof e.fireAt === 'number' ? e.fireAt : null,
          c.effectTraces?.[i] ?? null,
        ),
      );
    };
    this.commitMany = db.transaction((cs: readonly TurnCommit[]) => {
      for (const c of cs) one(c);
    });
  }

  load(key: string): ActorRow | undefined {
    return this.stmts.load.get(key);
  }

  isApplied(key: string, commandId: string): boolean {
    return this.stmts.isApplied.get(key, commandId) !== undefined;
  }

  /** Which of `commandIds` this actor already applied (one query for a whole mailbox batch). */
  appliedAmong(key: string, commandIds: readonly string[]): Set<string> {
    if (commandIds.length === 1) return this.isApplied(key, commandIds[0]!) ? new Set(commandIds) : new Set();
    return new Set(this.stmts.appliedAmong.all(key, JSON.stringify(commandIds)));
  }

  pendingEffects(key?: string): PendingEffect[] {
    return key === undefined ? this.stmts.pending.all() : this.stmts.pendingOf.all(key);
  }
}
