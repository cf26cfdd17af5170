/**
 * The write ledger: before a file tool (`write_file`, `edit_file`) touches a file, it records what
 * it is about to do under its effect id — the path, the sha256 of the file before (null: absent)
 * and after, and the result it will return. A re-run of the same effect (a re-drive after a crash
 * between the write and the recorded outcome, or a second node on the same data dir) that finds the
 * file already holding the planned post-image returns the planned result and writes nothing, so an
 * edit such as `0|` → `0||` is never applied twice.
 *
 * Rows live in `sessions.db` (local disk, next to the recorded outcomes) and are dropped after
 * {@link LEDGER_RETENTION_MS}: by then the effect's result has long been journaled.
 */
import type Database from 'better-sqlite3';

export const LEDGER_RETENTION_MS = 7 * 24 * 3600_000;

/** Who is writing: the actor address and the effect id (the tool context's `producer`). */
export interface WriteProducer {
  readonly address: string;
  readonly effectId: string;
}

export interface PlannedWrite {
  /** workspace-relative path */
  readonly path: string;
  /** sha256 of the file before the write; null when it did not exist */
  readonly preSha256: string | null;
  readonly postSha256: string;
  /** the tool output the write reports */
  readonly output: string;
}

/** The interface tools see (`ToolContext.writes`). */
export interface WriteLedger {
  recall(producer: WriteProducer, path: string): PlannedWrite | undefined;
  plan(producer: WriteProducer, write: PlannedWrite): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tool_writes (
  effect_key TEXT NOT NULL, path TEXT NOT NULL, pre_sha256 TEXT, post_sha256 TEXT NOT NULL,
  output TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (effect_key, path)) WITHOUT ROWID;
`;

interface Row {
  pre_sha256: string | null;
  post_sha256: string;
  output: string;
}

const keyOf = (p: WriteProducer) => `${p.address}/${p.effectId}`;

/**
 * @example
 *   const writes = sqliteWriteLedger(cluster.sessions, () => clock.now());
 *   await toolset.run('edit_file', input, { root, producer, writes });
 */
export function sqliteWriteLedger(db: Database.Database, now: () => number): WriteLedger {
  db.exec(SCHEMA);
  db.prepare('DELETE FROM tool_writes WHERE at < ?').run(now() - LEDGER_RETENTION_MS);
  const get = db.prepare<[string, string], Row>(
    'SELECT pre_sha256, post_sha256, output FROM tool_writes WHERE effect_key = ? AND path = ?',
  );
  // A re-run that recomputed its plan (the file was not written yet) replaces the earlier one.
  const put = db.prepare(
    `INSERT OR REPLACE INTO tool_writes (effect_key, path, pre_sha256, post_sha256, output, at)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  return {
    recall(producer, path) {
      const row = get.get(keyOf(producer), path);
      return row && { path, preSha256: row.pre_sha256, postSha256: row.post_sha256, output: row.output };
    },
    plan(producer, w) {
      put.run(keyOf(producer), w.path, w.preSha256, w.postSha256, w.output, now());
    },
  };
}
