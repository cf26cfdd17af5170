/**
 * The effects the `backup` actor emits (backup.machine.ts): `backup.run` (snapshot the workspace
 * and upload it, through workspace-node/backup/), `backup.verify` (restore it into a temp dir and
 * check it) and `journal.purge` (after a verified backup: purge the journal entries it covers,
 * keeping a tail). Their handlers are in workspace-node/effects/ (backupRun.ts, backupVerify.ts,
 * journalPurge.ts); each needs nothing from the actor's context beyond its request. The results below are what the
 * handlers resolve with, as the machine reads them from `effect.result`.
 */

export type BackupRunRequest = {
  readonly id: string;
  readonly kind: 'backup.run';
  /**
   * The activity sequence (the newest journal sequence of any actor but the backup actor itself)
   * of the last backup: the run is skipped when it is unchanged. null: always back up.
   */
  readonly skipIfSeq: number | null;
};

export type BackupRunResult =
  | { readonly skipped: true; readonly activitySeq: number }
  | {
      readonly skipped: false;
      readonly activitySeq: number;
      readonly backupId: string;
      readonly journalSeq: number;
      /** objects the manifest references, and their stored bytes */
      readonly objects: number;
      readonly bytes: number;
      /** objects this run put */
      readonly uploaded: number;
      /** the manifest's creation time, epoch ms (absent in results recorded before it was) */
      readonly createdAt?: number;
    };

export type BackupVerifyRequest = {
  readonly id: string;
  readonly kind: 'backup.verify';
  readonly backupId: string;
};

export type BackupVerifyResult = {
  readonly ok: boolean;
  /** the first problem's code and message when not ok */
  readonly code?: string;
  readonly message?: string;
  /** how many problems were found (absent in results recorded before it was) */
  readonly problems?: number;
};

/** Purge the MOE_EVT entries that the verified backup `backupId` covers (its manifest's sequences). */
export type JournalPurgeRequest = {
  readonly id: string;
  readonly kind: 'journal.purge';
  readonly backupId: string;
};

/**
 * What a purge did: `subjects` actor subjects purged, `entries` entries removed in all, `keep`
 * the tail kept per subject. `skipped` when nothing was purged on purpose: `off` (MOE_JOURNAL_PURGE),
 * `local-store` (the backups are on this node's own disk: MOE_STORAGE_PRIMARY unset),
 * `mirror-behind` (an object of the backup is not on every copy of the store yet), `tenancy`
 * (never purged).
 */
export type JournalPurgeResult = {
  readonly subjects: number;
  readonly entries: number;
  readonly keep: number;
  readonly skipped?: 'off' | 'local-store' | 'mirror-behind' | 'tenancy';
};

/** Effects the backup actor emits, on `kind`. */
export type BackupEffectRequest = BackupRunRequest | BackupVerifyRequest | JournalPurgeRequest;
