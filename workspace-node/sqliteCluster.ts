/**
 * The workspace's SQLite cluster (seed 000): six databases on local disk, WAL mode.
 *   sessions.db         actor snapshots, applied command ids, pending effects and timers (kernel)
 *   messages.db         conversation messages                      (projection)
 *   artifacts.db        files agents produced, content-addressed    (written by tools)
 *   parsed_sessions.db  full-text index of session logs            (projection; log search: logSearch.ts)
 *   metrics.db          per-call statistics: provider, model, tokens, cost, price, price-table version,
 *                       duration, the invoice that billed it; the billing plan changes (projection);
 *                       the invoices issued (billing/invoiceLedger.ts)
 *   workspace.db        workspace config, lease history, backup catalogue (workspaceDb.ts)
 * Projections record the last journal sequence they applied and can be rebuilt from events.
 * Never put these files on a FUSE/object-store mount: SQLite needs real file locks.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { openSqlite } from '../actors/kernel/index.js';
import { LEGACY_PRICE_TABLE } from './projections.js';
import { migrateWorkspaceDb, WORKSPACE_DB_SCHEMA } from './workspaceDb.js';

export const DATABASES = [
  'sessions',
  'messages',
  'artifacts',
  'parsed_sessions',
  'metrics',
  'workspace',
] as const;
export type DatabaseName = (typeof DATABASES)[number];

export type SqliteCluster = Readonly<Record<DatabaseName, Database.Database>> & { close(): void };

const PROJECTION_SCHEMA: Partial<Record<DatabaseName, string>> = {
  // Rows are keyed by (seq, turn): the MOE_EVT sequence of the journal entry and the actor's turn
  // inside it (an entry can carry several turns).
  messages: `CREATE TABLE IF NOT EXISTS messages (
      seq INTEGER NOT NULL, turn INTEGER NOT NULL DEFAULT 0, actor TEXT NOT NULL, session TEXT NOT NULL,
      role TEXT NOT NULL, content TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (seq, turn, role));
    CREATE INDEX IF NOT EXISTS messages_actor ON messages (actor, seq);`,
  parsed_sessions: `CREATE VIRTUAL TABLE IF NOT EXISTS session_text USING fts5(session, actor, kind, text, seq UNINDEXED);
    CREATE TABLE IF NOT EXISTS indexed (seq INTEGER NOT NULL, turn INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (seq, turn)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS session_text_meta (doc INTEGER PRIMARY KEY, turn INTEGER NOT NULL,
      at INTEGER NOT NULL, level TEXT NOT NULL);`,
  metrics: `CREATE TABLE IF NOT EXISTS calls (
      seq INTEGER NOT NULL, turn INTEGER NOT NULL DEFAULT 0, actor TEXT NOT NULL, session TEXT NOT NULL,
      provider TEXT NOT NULL, model TEXT NOT NULL,
      input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL,
      cache_write_tokens INTEGER NOT NULL, at INTEGER NOT NULL, effect_id TEXT NOT NULL DEFAULT '',
      cost_micros INTEGER NOT NULL DEFAULT 0, price_micros INTEGER NOT NULL DEFAULT 0, markup REAL,
      duration_ms INTEGER, price_table TEXT NOT NULL DEFAULT '${LEGACY_PRICE_TABLE}', invoice_id TEXT,
      PRIMARY KEY (seq, turn));
    CREATE TABLE IF NOT EXISTS billing_plans (seq INTEGER NOT NULL, turn INTEGER NOT NULL,
      at INTEGER NOT NULL, plan TEXT NOT NULL, PRIMARY KEY (seq, turn));`,
  workspace: WORKSPACE_DB_SCHEMA,
};

/** Columns added after a database was first created: added in place (SQLite ADD COLUMN). */
const ADDED_COLUMNS: Partial<Record<DatabaseName, { table: string; column: string; ddl: string }[]>> = {
  metrics: [
    { table: 'calls', column: 'effect_id', ddl: "effect_id TEXT NOT NULL DEFAULT ''" },
    { table: 'calls', column: 'cost_micros', ddl: 'cost_micros INTEGER NOT NULL DEFAULT 0' },
    { table: 'calls', column: 'price_micros', ddl: 'price_micros INTEGER NOT NULL DEFAULT 0' },
    { table: 'calls', column: 'markup', ddl: 'markup REAL' },
    { table: 'calls', column: 'duration_ms', ddl: 'duration_ms INTEGER' },
    // rows projected before calls named their price table were priced with the table of then
    {
      table: 'calls',
      column: 'price_table',
      ddl: `price_table TEXT NOT NULL DEFAULT '${LEGACY_PRICE_TABLE}'`,
    },
    // the invoice that billed the call (billing/invoiceLedger.ts); NULL: not billed yet
    { table: 'calls', column: 'invoice_id', ddl: 'invoice_id TEXT' },
  ],
};

/** Tables first keyed by seq alone; rebuilt with the (seq, turn) key, old rows kept as turn 0. */
const REKEYED: Partial<Record<DatabaseName, string>> = {
  messages: 'messages',
  parsed_sessions: 'indexed',
  metrics: 'calls',
};

function hasColumn(db: Database.Database, table: string, column: string): boolean {
  const columns = db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[];
  return columns.some((c) => c.name === column);
}

function migrate(db: Database.Database, name: DatabaseName): void {
  // A table with no columns does not exist yet: the schema creates it in its current form.
  for (const { table, column, ddl } of ADDED_COLUMNS[name] ?? []) {
    if (hasColumn(db, table, 'seq') && !hasColumn(db, table, column))
      db.exec(`ALTER TABLE ${table} ADD COLUMN ${ddl}`);
  }
  const table = REKEYED[name];
  if (!table || !hasColumn(db, table, 'seq') || hasColumn(db, table, 'turn')) return;
  const old = `${table}_by_seq`;
  db.transaction(() => {
    db.exec(`DROP INDEX IF EXISTS messages_actor; ALTER TABLE ${table} RENAME TO ${old};`);
    db.exec(PROJECTION_SCHEMA[name]!);
    const cols = (db.prepare(`PRAGMA table_info(${old})`).all() as { name: string }[]).map((c) => c.name);
    db.exec(
      `INSERT INTO ${table} (${cols.join(', ')}) SELECT ${cols.join(', ')} FROM ${old}; DROP TABLE ${old};`,
    );
  })();
}

export function openSqliteCluster(dir: string): SqliteCluster {
  mkdirSync(dir, { recursive: true });
  const dbs = {} as Record<DatabaseName, Database.Database>;
  for (const name of DATABASES) {
    const db = openSqlite(join(dir, `${name}.db`));
    db.exec('CREATE TABLE IF NOT EXISTS projection_meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);');
    migrate(db, name);
    const schema = PROJECTION_SCHEMA[name];
    if (schema) db.exec(schema);
    if (name === 'workspace') migrateWorkspaceDb(db);
    dbs[name] = db;
  }
  return {
    ...dbs,
    close() {
      for (const name of DATABASES) dbs[name].close();
    },
  };
}
