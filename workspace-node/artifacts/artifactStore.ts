/**
 * The artifact store: which files agents produced, recorded in the workspace's `artifacts.db`
 * (better-sqlite3, WAL). Each row is one file written by one turn: workspace-relative path,
 * sha256 of the content (content addressing: the same bytes anywhere have the same hash), size,
 * the producing actor's address, the effect id of the turn, and the time it was recorded.
 *
 * Idempotent by (effect id, path): an effect re-driven after a crash, or a projection replayed
 * from the journal, records the same row again and still leaves one row. If the re-run wrote
 * different bytes, the row takes the new hash and size (they describe what is on disk) and keeps
 * its first `createdAt`. Time is passed in by the caller; the store never reads a clock.
 */
import type { Database, Statement } from 'better-sqlite3';

export interface ArtifactInput {
  /** workspace-relative, `/`-separated */
  readonly path: string;
  /** lower-case hex sha256 of the content */
  readonly sha256: string;
  readonly size: number;
  /** address of the actor whose turn wrote the file */
  readonly producer: string;
  /** the effect id of that turn's tool call (the idempotency key) */
  readonly effectId: string;
  /** ms since the epoch, from the caller's clock */
  readonly createdAt: number;
}

export type Artifact = ArtifactInput;

/** what `record` did: a new row, a changed hash/size on the existing row, or nothing */
export type RecordOutcome = 'inserted' | 'updated' | 'unchanged';

interface Row {
  path: string;
  sha256: string;
  size: number;
  producer: string;
  effect_id: string;
  created_at: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS artifacts (
  effect_id  TEXT    NOT NULL,
  path       TEXT    NOT NULL,
  sha256     TEXT    NOT NULL,
  size       INTEGER NOT NULL,
  producer   TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (effect_id, path)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS artifacts_by_path ON artifacts (path, created_at);
CREATE INDEX IF NOT EXISTS artifacts_by_producer ON artifacts (producer, created_at);
CREATE INDEX IF NOT EXISTS artifacts_by_sha256 ON artifacts (sha256);
`;

const ORDER = 'ORDER BY created_at, effect_id, path';

function toArtifact(row: Row): Artifact {
  return {
    path: row.path,
    sha256: row.sha256,
    size: row.size,
    producer: row.producer,
    effectId: row.effect_id,
    createdAt: row.created_at,
  };
}

/**
 * @example
 *   const store = new ArtifactStore(new Database(join(dir, 'artifacts.db')));
 *   store.record({ path: 'out.md', ...hashContent(text), producer: 'agent/a1', effectId: 'e-7', createdAt: now });
 *   store.byPath('out.md'); // [{ path: 'out.md', sha256: '…', … }]
 */
export class ArtifactStore {
  readonly #select: Statement<[string, string], Row>;
  readonly #insert: Statement<[ArtifactInput]>;
  readonly #update: Statement<[ArtifactInput]>;
  readonly #byPath: Statement<[string], Row>;
  readonly #byProducer: Statement<[string], Row>;
  readonly #byEffect: Statement<[string], Row>;
  readonly #bySha256: Statement<[string], Row>;
  readonly #record: (artifact: ArtifactInput) => RecordOutcome;

  /** `db` is an open `artifacts.db`; the table is created if missing and WAL is switched on. */
  constructor(db: Database) {
    db.pragma('journal_mode = WAL');
    db.exec(SCHEMA);
    this.#select = db.prepare('SELECT * FROM artifacts WHERE effect_id = ? AND path = ?');
    this.#insert = db.prepare(
      `INSERT INTO artifacts (effect_id, path, sha256, size, producer, created_at)
       VALUES (@effectId, @path, @sha256, @size, @producer, @createdAt)`,
    );
    this.#update = db.prepare(
      'UPDATE artifacts SET sha256 = @sha256, size = @size WHERE effect_id = @effectId AND path = @path',
    );
    this.#byPath = db.prepare(`SELECT * FROM artifacts WHERE path = ? ${ORDER}`);
    this.#byProducer = db.prepare(`SELECT * FROM artifacts WHERE producer = ? ${ORDER}`);
    this.#byEffect = db.prepare(`SELECT * FROM artifacts WHERE effect_id = ? ${ORDER}`);
    this.#bySha256 = db.prepare(`SELECT * FROM artifacts WHERE sha256 = ? ${ORDER}`);
    this.#record = db.transaction((artifact: ArtifactInput): RecordOutcome => {
      const existing = this.#select.get(artifact.effectId, artifact.path);
      if (!existing) {
        this.#insert.run(artifact);
        return 'inserted';
      }
      if (existing.sha256 === artifact.sha256 && existing.size === artifact.size) return 'unchanged';
      this.#update.run(artifact);
      return 'updated';
    });
  }

  /** Records one produced file; the same (effectId, path) twice is still one row. */
  record(artifact: ArtifactInput): RecordOutcome {
    return this.#record(artifact);
  }

  /** every version of a path, oldest first */
  byPath(path: string): Artifact[] {
    return this.#byPath.all(path).map(toArtifact);
  }

  /** the most recent version of a path, if any */
  latest(path: string): Artifact | undefined {
    return this.byPath(path).at(-1);
  }

  /** everything an actor produced, oldest first */
  byProducer(address: string): Artifact[] {
    return this.#byProducer.all(address).map(toArtifact);
  }

  /** everything one turn produced */
  byEffect(effectId: string): Artifact[] {
    return this.#byEffect.all(effectId).map(toArtifact);
  }

  /** every record of the same content */
  bySha256(sha256: string): Artifact[] {
    return this.#bySha256.all(sha256).map(toArtifact);
  }
}
