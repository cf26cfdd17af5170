/**
 * The `journal.purge` effect of the backup actor (issue 8 item 7, the bounded journal): after a
 * backup verified, the MOE_EVT entries its manifest covers are purged, actor by actor, keeping the
 * newest MOE_JOURNAL_KEEP of each (actors/kernel/journalPurge.ts does one subject). What it may
 * purge, and why:
 *
 * - only the actors listed in THAT backup's manifest, each only up to the sequence its snapshot
 *   covers (`actors[].lastSeq`): a node that restores the backup has sessions.db rows at those
 *   sequences and catches up from MOE_EVT after them, and the backup's log segments hold every
 *   purged entry (the session logs are sealed after the databases), so `moe replay` still works;
 * - never the backup actor's own subject (its history is how `moe backup --wait` and the gateway
 *   learn outcomes), nor the billing actor's (the gateway's invoice book is folded from it), never the `_tenancy` workspace (the gateway builds its tenancy view from it);
 * - nothing while the backups live on this node's own disk (the default store, MOE_STORAGE_PRIMARY
 *   unset): a node taking over elsewhere would find no backup, and without the purged entries it
 *   could not rebuild the actors either;
 * - nothing while the store's mirror (or primary) still lacks an object of this workspace
 *   (MirroredStore's pending copies): the next backup purges instead;
 * - nothing with MOE_JOURNAL_PURGE=off.
 *
 * Idempotent: a re-driven purge finds nothing more to remove. The result is journaled
 * (`journal.purged` on the backup actor).
 */
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { JournalPurgeResult } from '../../actors/index.js';
import {
  journalSubjectCounts,
  purgeCoveredEntries,
  type EffectHandlerOf,
} from '../../actors/kernel/index.js';
import { eventSubject, parseActorSubject, TENANCY_WS } from '../../schemas/index.js';
import { MirroredStore, type ObjectStore } from '../../storage/index.js';
import { readManifest } from '../backup/catalogue.js';
import { workspaceBackupPrefix, workspaceStore } from '../backup/workspaceStore.js';
import { errors } from '../errors.js';
import type { JournalRetention } from '../journalRetention.js';

export interface JournalPurgeDeps {
  /** the node's store (primary, or primary + mirror), as the backup effects use it */
  readonly store: () => ObjectStore;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly retention: JournalRetention;
  /** true: the store is the node-local default (`<MOE_DATA_DIR>/backups`), never purged behind */
  readonly storeIsLocal: boolean;
}

/** The kinds whose subjects are never purged: the backup actor's and the billing actor's. */
const UNPURGED_KINDS = new Set(['backup', 'billing']);

/** Whether a copy of `store` still lacks (or still holds, for deletes) an object under `prefix`. */
function copyBehind(store: ObjectStore, prefix: string): boolean {
  return store instanceof MirroredStore && store.pending().some((p) => p.key.startsWith(prefix));
}

export function journalPurgeHandler(deps: JournalPurgeDeps): EffectHandlerOf<'journal.purge'> {
  return async ({ address, effect, signal }): Promise<JournalPurgeResult> => {
    const { keep } = deps.retention;
    const nothing = (skipped: JournalPurgeResult['skipped']): JournalPurgeResult => ({
      subjects: 0,
      entries: 0,
      keep,
      skipped,
    });
    if (!deps.retention.purge) return nothing('off');
    if (address.ws === TENANCY_WS) return nothing('tenancy');
    if (deps.storeIsLocal) return nothing('local-store');
    const root = deps.store();
    if (copyBehind(root, `${workspaceBackupPrefix(address.org, address.ws)}/`))
      return nothing('mirror-behind');
    const manifest = await readManifest(workspaceStore(root, address.org, address.ws), effect.backupId);
    const owner = manifest.workspace;
    if (owner && (owner.org !== address.org || owner.ws !== address.ws))
      throw errors.BACKUP_MANIFEST(`${effect.backupId} is the backup of ${owner.org}/${owner.ws}`);
    // a subject with no more than `keep` entries in all has nothing to purge: not read at all
    const counts = await journalSubjectCounts(deps.jsm, `moe.evt.${address.org}.${address.ws}.>`);
    let subjects = 0;
    let entries = 0;
    for (const covered of manifest.actors) {
      signal.throwIfAborted();
      const actor = parseActorSubject(`moe.evt.${covered.key}`);
      if (!actor || actor.org !== address.org || actor.ws !== address.ws || UNPURGED_KINDS.has(actor.kind))
        continue;
      const subject = eventSubject(actor);
      if ((counts.get(subject) ?? 0) <= keep) continue;
      const r = await purgeCoveredEntries(deps.js, deps.jsm, subject, covered.lastSeq, keep);
      if (r.purged > 0) {
        subjects++;
        entries += r.purged;
      }
    }
    return { subjects, entries, keep };
  };
}
