/**
 * `workspace.db`, the workspace's own metadata (seed 000's sixth database; issue 8 item 8), backed
 * up and restored with the rest of the cluster:
 *
 *   config         key → value: org, ws, when this workspace was first hosted (and by which node);
 *                  name, description, created_by, created_at from tenancy (tenancyMirror.ts)
 *   members        the org's members and their roles, from tenancy (tenancyMirror.ts)
 *   lease_history  every placement lease this workspace's nodes acquired, released or lost:
 *                  node, epoch, event, time (written by the node, workspace-node/node.ts)
 *   backups        the backup catalogue: each `backup.completed` of the workspace's backup actor —
 *                  id, reason, journal sequence covered, objects, bytes, uploaded, time — a
 *                  projection of the journal (projections.ts), idempotent by backup id
 *
 * The schema version is `PRAGMA user_version` ({@link WORKSPACE_DB_VERSION}), which every backup
 * manifest records per database. A backup's copy lists the backups before it (its own completion is
 * journaled after its snapshot); a node that restores it after a takeover gets the lease history
 * and catalogue up to that backup, and adds to them.
 */
import type Database from 'better-sqlite3';

export const WORKSPACE_DB_VERSION = 1;

export const WORKSPACE_DB_SCHEMA = `
  CREATE TABLE IF NOT EXISTS config (k TEXT PRIMARY KEY, v TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS members (user TEXT PRIMARY KEY, role TEXT NOT NULL, at INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS lease_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT, node TEXT NOT NULL, epoch INTEGER NOT NULL,
    event TEXT NOT NULL CHECK (event IN ('acquired', 'released', 'lost')), at INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS backups (
    backup_id TEXT PRIMARY KEY, reason TEXT NOT NULL, completed_at INTEGER NOT NULL,
    journal_seq INTEGER NOT NULL, objects INTEGER NOT NULL, bytes INTEGER NOT NULL,
    uploaded INTEGER NOT NULL, attempts INTEGER NOT NULL, seq INTEGER NOT NULL);`;

/** Creates the tables and sets the schema version (called when the cluster is opened). */
export function migrateWorkspaceDb(db: Database.Database): void {
  db.exec(WORKSPACE_DB_SCHEMA);
  if ((db.pragma('user_version', { simple: true }) as number) < WORKSPACE_DB_VERSION)
    db.pragma(`user_version = ${WORKSPACE_DB_VERSION}`);
}

export type LeaseEvent = 'acquired' | 'released' | 'lost';

/** The workspace as tenancy describes it. */
export interface WorkspaceConfig {
  readonly name: string;
  readonly description: string;
  readonly createdBy: string;
  readonly createdAt: number;
}

/** Writes the node's side of workspace.db: config on first hosting, and lease history. */
export class WorkspaceMetadata {
  constructor(private readonly db: Database.Database) {}

  /** Records org and ws, and the first hosting (kept once set). */
  hosted(org: string, ws: string, node: string, at: number): void {
    const put = this.db.prepare('INSERT OR IGNORE INTO config (k, v) VALUES (?, ?)');
    this.db.transaction(() => {
      put.run('org', org);
      put.run('ws', ws);
      put.run('first_hosted_at', String(at));
      put.run('first_hosted_by', node);
    })();
  }

  config(c: WorkspaceConfig): void {
    const put = this.db.prepare(
      'INSERT INTO config (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v',
    );
    this.db.transaction(() => {
      put.run('name', c.name);
      put.run('description', c.description);
      put.run('created_by', c.createdBy);
      put.run('created_at', String(c.createdAt));
    })();
  }

  /** A member's role (null: no longer a member). */
  member(user: string, role: string | null, at: number): void {
    if (role === null) this.db.prepare('DELETE FROM members WHERE user = ?').run(user);
    else
      this.db
        .prepare(
          'INSERT INTO members (user, role, at) VALUES (?, ?, ?) ON CONFLICT(user) DO UPDATE SET role = excluded.role, at = excluded.at',
        )
        .run(user, role, at);
  }

  /** Every member at once (when the workspace is attached to the org's tenancy). */
  replaceMembers(members: ReadonlyArray<{ user: string; role: string; at: number }>): void {
    const put = this.db.prepare('INSERT INTO members (user, role, at) VALUES (?, ?, ?)');
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM members').run();
      for (const m of members) put.run(m.user, m.role, m.at);
    })();
  }

  lease(event: LeaseEvent, node: string, epoch: number, at: number): void {
    this.db
      .prepare('INSERT INTO lease_history (node, epoch, event, at) VALUES (?, ?, ?, ?)')
      .run(node, epoch, event, at);
  }
}
