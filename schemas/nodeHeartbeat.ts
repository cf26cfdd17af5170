/**
 * The workspace-node heartbeat's period and its backup report: a node writes its key in KV
 * `moe_nodes` this often, and the supervisor counts a node dead after a few missed beats. Both sides
 * read them from here, so the supervisor does not import the node (and the provider SDKs behind it).
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

/**
 * How often a node writes its heartbeat and retries the workspaces it waits for (at most lease/3;
 * `MOE_HEARTBEAT_MS` on the node). 250 ms: with the supervisor's 1 s stale threshold (4 beats) a
 * killed node's workspaces serve again elsewhere in well under 2 s (docs/operations.md, Failover).
 */
export const NODE_HEARTBEAT_MS = 250;

/**
 * What a node reports about one hosted workspace's backups, in its heartbeat (`backups`, keyed
 * `<org>.<ws>`): the backup actor's status (actors/backupStatus.ts), how far one copy of a primary +
 * mirror store is behind, and the last restore on takeover. The supervisor checks it against this
 * schema and serves it in `/api/status`, its dashboard and `/metrics`. Times: epoch ms (node clock).
 */
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
export const WorkspaceBackupReport = Type.Object({
  /**
   * the last good (verified) backup; null before the first. `at`: when it was made; `currentAt`:
   * when it was last known to hold every turn (made, or a later run skipped: nothing new)
   */
  lastBackup: Nullable(
    Type.Object({ id: Type.String(), at: Nullable(Type.Number()), currentAt: Nullable(Type.Number()) }),
  ),
  /** the last verification: right after a backup was made, or on the verification schedule */
  lastVerify: Nullable(
    Type.Object({
      at: Type.Number(),
      backupId: Type.String(),
      ok: Type.Boolean(),
      code: Nullable(Type.String()),
      scheduled: Type.Boolean(),
    }),
  ),
  /** the last `backup.failed` */
  lastFailure: Nullable(Type.Object({ at: Type.Number(), code: Type.String(), message: Type.String() })),
  /** the verification schedule's interval (null: off) */
  verifyIntervalMs: Nullable(Type.Number()),
  /** objects of this workspace a copy still lacks (a primary + mirror store; zeros otherwise) */
  pending: Type.Object({ mirror: Type.Integer({ minimum: 0 }), primary: Type.Integer({ minimum: 0 }) }),
  /** since when the oldest of those has been pending (null: both copies in sync) */
  behindSince: Nullable(Type.Number()),
  /** the last restore on takeover by this node: time to serve, and until the files were back */
  restore: Nullable(
    Type.Object({
      backupId: Type.String(),
      at: Type.Number(),
      rtoMs: Type.Number(),
      filesRtoMs: Nullable(Type.Number()),
    }),
  ),
});
export type WorkspaceBackupReport = Static<typeof WorkspaceBackupReport>;
