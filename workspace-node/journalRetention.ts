/**
 * The journal's retention policy (issue 8 item 7, the bounded journal), read once at node start:
 *
 *   MOE_JOURNAL_PURGE  on     `off` (or 0/false/no): never purge; MOE_EVT keeps every entry
 *   MOE_JOURNAL_KEEP   1000   entries kept per actor subject at or below what a verified backup
 *                             covers (entries newer than the backup are always kept); at least 1
 *
 * The purge itself runs after each verified backup (the backup actor's `journal.purge` effect,
 * effects/journalPurge.ts), and only when MOE_STORAGE_PRIMARY names the backup store: behind the
 * node-local default store nothing is purged. KEEP is at least 1 so a purged subject is never empty: a node without
 * a snapshot of the actor then finds the turn gap at its first append (MOE_ERR_JOURNAL_PURGED),
 * instead of the fence taking an empty subject for a new actor.
 */
import { errors } from './errors.js';

export interface JournalRetention {
  /** false: MOE_EVT is never purged */
  readonly purge: boolean;
  /** newest covered entries kept per actor subject (≥ 1) */
  readonly keep: number;
}

export const DEFAULT_JOURNAL_KEEP = 1000;

const OFF = new Set(['off', '0', 'false', 'no']);
const ON = new Set(['on', '1', 'true', 'yes']);

export function journalRetentionFromEnv(env: NodeJS.ProcessEnv = process.env): JournalRetention {
  const rawPurge = env.MOE_JOURNAL_PURGE?.trim().toLowerCase();
  if (rawPurge && !OFF.has(rawPurge) && !ON.has(rawPurge))
    throw errors.CONFIG(`MOE_JOURNAL_PURGE must be on or off, got "${env.MOE_JOURNAL_PURGE}"`);
  const rawKeep = env.MOE_JOURNAL_KEEP?.trim();
  const keep = rawKeep ? Number(rawKeep) : DEFAULT_JOURNAL_KEEP;
  if (!Number.isInteger(keep) || keep < 1)
    throw errors.CONFIG(`MOE_JOURNAL_KEEP must be an integer ≥ 1, got "${env.MOE_JOURNAL_KEEP}"`);
  return { purge: !(rawPurge && OFF.has(rawPurge)), keep };
}
