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

/**
 * A provider/model as one node has seen it over the last `windowMs` (its heartbeat's
 * `stats.providers`): the breaker's state, attempts and how many failed or were answered 429
 * (`MOE_ERR_PROVIDER_RATE_LIMITED`), how many were skipped (breaker open, our own rate limit),
 * attempt latency, and the replies served by a fallback (a target after the first of its chain).
 */
export const ProviderLiveReport = Type.Object({
  provider: Type.String(),
  model: Type.String(),
  breaker: Type.Union([Type.Literal('closed'), Type.Literal('half-open'), Type.Literal('open')]),
  attempts: Type.Integer({ minimum: 0 }),
  errors: Type.Integer({ minimum: 0 }),
  rateLimited: Type.Integer({ minimum: 0 }),
  skipped: Type.Integer({ minimum: 0 }),
  fallbacks: Type.Integer({ minimum: 0 }),
  /** attempt latency (ok or error), ms; null: no attempt in the window */
  p50Ms: Nullable(Type.Number()),
  p99Ms: Nullable(Type.Number()),
});
export type ProviderLiveReport = Static<typeof ProviderLiveReport>;

/**
 * A node's live figures (its heartbeat's `stats`), over the last `windowMs`: turns per second,
 * turn latency percentiles (command delivered → turn durable), its process memory, and its
 * providers. The supervisor serves them in `/api/status`, the console's Nodes and Providers views.
 */
export const NodeLiveStats = Type.Object({
  windowMs: Type.Integer({ minimum: 1 }),
  turnsPerSec: Type.Number({ minimum: 0 }),
  /** null: no turn in the window */
  turnP50Ms: Nullable(Type.Number()),
  turnP99Ms: Nullable(Type.Number()),
  rssBytes: Type.Integer({ minimum: 0 }),
  heapUsedBytes: Type.Integer({ minimum: 0 }),
  providers: Type.Array(ProviderLiveReport),
});
export type NodeLiveStats = Static<typeof NodeLiveStats>;
