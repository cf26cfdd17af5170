/**
 * `moe backup prune` as a library call: applies a retention policy (retention.ts) to one
 * workspace's backups, then collects the objects no remaining backup needs.
 *
 * Order, so that a crash at any point leaves every kept backup restorable:
 *   1. delete the manifests of the backups the policy drops (a backup ends when its manifest goes);
 *   2. list the manifests again and take every object any of them lists (the kept ones, and any
 *      backup written since step 1 began);
 *   3. delete the data objects (`db/`, `segments/`, `blobs/`) none of them lists — the dropped
 *      backups' objects and whatever a crashed backup or a crashed prune left behind.
 * An object a remaining manifest lists is never deleted. A crash after 1 leaves unreferenced
 * objects, which the next prune collects. A manifest this build cannot read (corrupt, or a newer
 * version) may list any object, so while one exists nothing is collected (step 3 is skipped and
 * reported); it is never deleted either.
 *
 * A backup being written while prune runs reuses objects it finds in the store (`head`); one that
 * a dropped backup alone listed could be collected between that check and its manifest. The
 * backup actor verifies every backup it writes (a missing object fails the verification and the
 * run is retried), and the newest backup — the one new backups are incremental on — is always
 * kept; still, prune a live workspace when its backups are quiet (operations.md).
 */
import type { ObjectStore } from '../../storage/index.js';
import { listBackups } from './catalogue.js';
import { DELETED_KEY, readDeletedMarker } from './deletedMarker.js';
import { manifestKey, type BackupManifest } from './manifest.js';
import { deletedWindowOver, selectRetained, type KeepReason, type RetentionPolicy } from './retention.js';

/** Where a backup's data objects live; nothing else in the prefix is ever collected. */
export const DATA_PREFIXES = ['db/', 'segments/', 'blobs/'] as const;
/** Objects deleted at once. */
const DELETE_CONCURRENCY = 8;

export interface PruneOptions extends RetentionPolicy {
  readonly now?: () => Date;
  /** say what would be deleted, delete nothing */
  readonly dryRun?: boolean;
  readonly onProgress?: (p: PruneProgress) => void;
}

export type PruneProgress =
  | { readonly type: 'plan'; readonly keep: number; readonly drop: number; readonly unreadable: number }
  | { readonly type: 'manifest'; readonly backupId: string; readonly done: number; readonly total: number }
  | { readonly type: 'scan'; readonly objects: number; readonly unreferenced: number; readonly bytes: number }
  | { readonly type: 'object'; readonly key: string; readonly done: number; readonly total: number };

export interface PruneResult {
  readonly dryRun: boolean;
  readonly rules: { readonly keepLast: number | null; readonly keepWithinMs: number | null };
  readonly kept: ReadonlyArray<{ backupId: string; createdAt: string; reasons: KeepReason[] }>;
  /** backups whose manifest was deleted (would be, with dryRun), oldest first */
  readonly deleted: ReadonlyArray<{ backupId: string; createdAt: string }>;
  /** manifests this build cannot read: kept, and no object is collected while one exists */
  readonly unreadable: ReadonlyArray<{ backupId: string; code: string; message: string }>;
  /** data objects deleted (would be), their stored bytes, and the data objects left */
  readonly objects: { readonly deleted: number; readonly bytes: number; readonly remaining: number };
  /** false when collection was skipped (an unreadable manifest) */
  readonly collected: boolean;
  /** set when the workspace was deleted: when, and whether its retention window is over */
  readonly deletedWorkspace: { readonly deletedAt: number; readonly expired: boolean } | null;
  /** the deleted workspace's marker was removed (nothing of it is left in the store) */
  readonly markerRemoved: boolean;
}

type Unreadable = { backupId: string; code: string; message: string };

async function readCatalogue(
  store: ObjectStore,
): Promise<{ backups: BackupManifest[]; unreadable: Unreadable[] }> {
  const unreadable: Unreadable[] = [];
  const backups = await listBackups(store, (backupId, e) =>
    unreadable.push({ backupId, code: (e as { code?: string }).code ?? 'unknown', message: e.message }),
  );
  return { backups, unreadable };
}

async function dataObjects(store: ObjectStore): Promise<Array<{ key: string; size: number }>> {
  const out: Array<{ key: string; size: number }> = [];
  for (const prefix of DATA_PREFIXES) for await (const e of store.list(prefix)) out.push(e);
  return out;
}

/** Runs `work` over `items`, a few at a time; the first failure is thrown once the others end. */
async function forEachLimited<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const results = await Promise.allSettled(
    Array.from({ length: Math.min(DELETE_CONCURRENCY, items.length) }, worker),
  );
  const failure = results.find((r) => r.status === 'rejected');
  if (failure) throw failure.reason;
}

/** Prunes the backups in `store` (one workspace's prefix, workspaceStore.ts) to the policy. */
export async function pruneBackups(store: ObjectStore, o: PruneOptions = {}): Promise<PruneResult> {
  const now = (o.now ?? (() => new Date()))().getTime();
  const progress = o.onProgress ?? (() => {});
  const dryRun = o.dryRun === true;
  const marker = await readDeletedMarker(store);
  const before = await readCatalogue(store);
  const choice = selectRetained(before.backups, o, now, marker?.deletedAt);
  progress({
    type: 'plan',
    keep: choice.keep.length,
    drop: choice.drop.length,
    unreadable: before.unreadable.length,
  });

  // 1. manifests first: each delete ends one backup
  let done = 0;
  if (!dryRun)
    for (const m of choice.drop) {
      await store.delete(manifestKey(m.backupId));
      progress({ type: 'manifest', backupId: m.backupId, done: ++done, total: choice.drop.length });
    }

  // 2. what the remaining manifests need (read again: a backup may have been written meanwhile)
  const after = dryRun
    ? { backups: choice.keep.map((k) => k.manifest), unreadable: before.unreadable }
    : await readCatalogue(store);
  const unreadable = [
    ...new Map([...before.unreadable, ...after.unreadable].map((u) => [u.backupId, u])).values(),
  ];
  const referenced = new Set(after.backups.flatMap((m) => m.objects.map((x) => x.key)));
  const objects = await dataObjects(store);
  const collected = unreadable.length === 0;
  const garbage = collected ? objects.filter((x) => !referenced.has(x.key)) : [];
  const bytes = garbage.reduce((n, x) => n + x.size, 0);
  progress({ type: 'scan', objects: objects.length, unreferenced: garbage.length, bytes });

  // 3. the objects nothing needs
  if (!dryRun) {
    let deleted = 0;
    await forEachLimited(garbage, async (x) => {
      await store.delete(x.key);
      progress({ type: 'object', key: x.key, done: ++deleted, total: garbage.length });
    });
  }

  const expired = marker !== undefined && deletedWindowOver(marker.deletedAt, o, now);
  let markerRemoved = false;
  if (!dryRun && expired && after.backups.length === 0 && collected) {
    await store.delete(DELETED_KEY);
    markerRemoved = true;
  }
  return {
    dryRun,
    rules: choice.rules,
    kept: choice.keep.map((k) => ({
      backupId: k.manifest.backupId,
      createdAt: k.manifest.createdAt,
      reasons: k.reasons,
    })),
    deleted: choice.drop.map((m) => ({ backupId: m.backupId, createdAt: m.createdAt })),
    unreadable,
    objects: { deleted: garbage.length, bytes, remaining: objects.length - garbage.length },
    collected,
    deletedWorkspace: marker ? { deletedAt: marker.deletedAt, expired } : null,
    markerRemoved,
  };
}
