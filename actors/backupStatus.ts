/**
 * The backup actor's status as a node reports it (schemas/nodeHeartbeat.ts): read from the actor's
 * persisted context (backup.machine.ts), so it survives passivation and takeover like the actor
 * does. Snapshots from before the verification schedule lack its fields: they read as defaults.
 */
import type { WorkspaceBackupReport } from '../schemas/index.js';
import { DEFAULT_VERIFY_INTERVAL_MS, type BackupContext } from './backup.machine.js';

export type BackupActorStatus = Pick<
  WorkspaceBackupReport,
  'lastBackup' | 'lastVerify' | 'lastFailure' | 'verifyIntervalMs'
>;

/** What the backup actor knows of its workspace's backups; all null when it never ran. */
export function backupStatusOf(context: BackupContext | undefined): BackupActorStatus {
  if (!context) return { lastBackup: null, lastVerify: null, lastFailure: null, verifyIntervalMs: null };
  return {
    lastBackup:
      context.lastBackupId === null
        ? null
        : {
            id: context.lastBackupId,
            at: context.lastBackupAt ?? null,
            currentAt: context.lastCurrentAt ?? context.lastBackupAt ?? null,
          },
    lastVerify: context.lastVerify ?? null,
    lastFailure: context.lastFailure ?? null,
    verifyIntervalMs:
      context.verifyEnabled === false ? null : (context.verifyIntervalMs ?? DEFAULT_VERIFY_INTERVAL_MS),
  };
}
