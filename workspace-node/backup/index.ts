/**
 * Workspace backups as a library (issue 8 items 3 and 5): what a backup is — SQLite snapshots,
 * sealed log segments, content-addressed files and a manifest written last — and how it is
 * restored, verified and pruned to a retention policy (retention.ts, pruneBackups.ts), on any
 * {@link ObjectStore} (storage/), one workspace per store prefix
 * (workspaceStore.ts). Restore on takeover uses it (../restoreOnTakeover.ts), and so do the offline
 * `moe backup list|verify|prune` (cli/commands/backupVerify.ts, backupPrune.ts); the backup actor
 * runs it (../effects/backupRun.ts). This file is the folder's entry point.
 */
export {
  MANIFEST_SCHEMA,
  MANIFEST_VERSION,
  blobKey,
  dbKey,
  manifestKey,
  segmentKey,
  parseManifest,
  type ActorCoverage,
  type BackupManifest,
  type CompressedObject,
  type DatabaseEntry,
  type FileEntry,
  type LogEntry,
  type SegmentEntry,
  type StoredObject,
} from './manifest.js';
export { listBackups, latestBackup, newBackupId, readManifest } from './catalogue.js';
export {
  snapshotDatabases,
  type ClusterSnapshot,
  type DatabaseSnapshot,
  type DatabaseSource,
} from './snapshotDatabases.js';
export { sealLogs, SEGMENT_BYTES, type SealedLogs } from './logSegments.js';
export { backupFiles, listFiles, type BackedUpFiles } from './fileBlobs.js';
export { backupWorkspace, type BackupOptions, type BackupResult } from './backupWorkspace.js';
export {
  restoreBackup,
  restorePlan,
  type RestoreOptions,
  type RestorePhase,
  type RestoreProgress,
  type RestoreResult,
} from './restoreBackup.js';
export { verifyBackup, type VerifyOptions, type VerifyProblem, type VerifyResult } from './verifyBackup.js';
export type { LogReplayCheck, ReplayedActorCheck } from './replayCheck.js';
export { workspaceBackupPrefix, workspaceStore } from './workspaceStore.js';
export {
  DAY_MS,
  DEFAULT_DELETED_RETENTION_MS,
  DEFAULT_KEEP_LAST,
  DEFAULT_KEEP_WITHIN_MS,
  deletedWindowOver,
  effectiveRules,
  selectRetained,
  type KeepReason,
  type RetentionChoice,
  type RetentionPolicy,
} from './retention.js';
export {
  DATA_PREFIXES,
  pruneBackups,
  type PruneOptions,
  type PruneProgress,
  type PruneResult,
} from './pruneBackups.js';
export { DELETED_KEY, readDeletedMarker, writeDeletedMarker, type DeletedMarker } from './deletedMarker.js';
