/**
 * Recorded effect outcomes: what an effect handler returned (an LLM reply, a tool result) or how
 * it failed, stored in `sessions.db` under (actor key, effect id) BEFORE the result command is
 * published. A re-drive after a crash, or a second kernel on the same data dir, finds the record
 * and publishes it again instead of paying for the LLM call or running the tool a second time.
 *
 * Commands are exactly once through the journal; this closes the gap between "the effect ran" and
 * "its result was applied" that a crash used to reopen (the re-driven effect ran again and its
 * duplicate result was dropped by command id — after it had been paid for or applied to disk).
 *
 * A record lives until the result is applied: the turn that settles the effect deletes it in the
 * same SQLite transaction that removes the pending effect (see `SessionStore`), so the table holds
 * only outcomes still in flight.
 */
import type Database from 'better-sqlite3';
import type { EffectOutcome } from './effects.js';

export const EFFECT_OUTCOMES_SCHEMA = `
CREATE TABLE IF NOT EXISTS effect_outcomes (
  key TEXT NOT NULL, effect_id TEXT NOT NULL, kind TEXT NOT NULL, result_json TEXT NOT NULL,
  at INTEGER NOT NULL, PRIMARY KEY (key, effect_id)) WITHOUT ROWID;
`;

/**
 * @example
 *   const outcomes = new EffectOutcomes(store.db);
 *   outcomes.record('o.w.agent.a1', 'e3', 'llm.call', { ok: true, value: reply }, clock.now());
 *   outcomes.recorded('o.w.agent.a1', 'e3'); // { ok: true, value: reply }
 */
export class EffectOutcomes {
  private readonly stmts;

  constructor(db: Database.Database) {
    db.exec(EFFECT_OUTCOMES_SCHEMA);
    this.stmts = {
      get: db
        .prepare<[string, string], string>(
          'SELECT result_json FROM effect_outcomes WHERE key = ? AND effect_id = ?',
        )
        .pluck(),
      // The first record wins: a second kernel racing on a shared data dir publishes the same outcome.
      put: db.prepare(
        'INSERT OR IGNORE INTO effect_outcomes (key, effect_id, kind, result_json, at) VALUES (?, ?, ?, ?, ?)',
      ),
      pending: db
        .prepare<[string, string], number>('SELECT 1 FROM effects WHERE key = ? AND effect_id = ?')
        .pluck(),
    };
  }

  /** The outcome recorded for this effect, if any. */
  recorded(key: string, effectId: string): EffectOutcome | undefined {
    const json = this.stmts.get.get(key, effectId);
    return json === undefined ? undefined : (JSON.parse(json) as EffectOutcome);
  }

  /** Records an outcome (synchronously, one SQLite statement); returns the one that is stored. */
  record(key: string, effectId: string, kind: string, outcome: EffectOutcome, at: number): EffectOutcome {
    this.stmts.put.run(key, effectId, kind, JSON.stringify(outcome), at);
    return this.recorded(key, effectId) ?? outcome;
  }

  /**
   * False once the effect was settled (its result applied, or cancelled) — by this kernel or by
   * another one sharing the data dir. A settled effect must not run again.
   */
  stillPending(key: string, effectId: string): boolean {
    return this.stmts.pending.get(key, effectId) !== undefined;
  }
}
