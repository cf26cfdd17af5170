/**
 * Which backups a retention policy keeps (issue 8 item 8, `moe backup prune`): a pure choice over
 * the catalogue, no I/O. A backup is kept when any rule keeps it — one of the newest `keepLast`, or
 * made within `keepWithinMs` of `now` — and the newest backup of a live workspace is always kept,
 * whatever the rules say, so a prune never leaves a live workspace with nothing to restore.
 *
 * A deleted workspace (its `deleted.json` marker, deletedMarker.ts) keeps its backups under the
 * same rules for `deletedRetentionMs` after its deletion; after that nothing is kept, and prune
 * removes every backup and then the marker.
 *
 * @example
 *   selectRetained(manifests, { keepLast: 7, keepWithinMs: 7 * DAY_MS }, Date.now());
 */
import type { BackupManifest } from './manifest.js';

export const DAY_MS = 24 * 3600_000;
/** Defaults when neither rule is given: the newest 10, and every backup of the last 7 days. */
export const DEFAULT_KEEP_LAST = 10;
export const DEFAULT_KEEP_WITHIN_MS = 7 * DAY_MS;
/** How long a deleted workspace's backups are kept after its deletion (then all are pruned). */
export const DEFAULT_DELETED_RETENTION_MS = 30 * DAY_MS;

export interface RetentionPolicy {
  /** keep the newest N backups (N ≥ 1) */
  readonly keepLast?: number;
  /** keep every backup made within this many ms before `now` */
  readonly keepWithinMs?: number;
  /** a deleted workspace's backups are all dropped once its deletion is older than this */
  readonly deletedRetentionMs?: number;
}

/** Why a backup is kept. */
export type KeepReason = 'last' | 'within' | 'newest' | 'deleted-window';

export interface RetentionChoice {
  /** oldest first, with the reasons each is kept */
  readonly keep: ReadonlyArray<{ readonly manifest: BackupManifest; readonly reasons: KeepReason[] }>;
  /** oldest first */
  readonly drop: readonly BackupManifest[];
  /** the rules applied (the defaults when the policy gave none) */
  readonly rules: { readonly keepLast: number | null; readonly keepWithinMs: number | null };
}

/** The rules in force: the given ones, or both defaults when none is given. */
export function effectiveRules(p: RetentionPolicy): { keepLast: number | null; keepWithinMs: number | null } {
  if (p.keepLast === undefined && p.keepWithinMs === undefined)
    return { keepLast: DEFAULT_KEEP_LAST, keepWithinMs: DEFAULT_KEEP_WITHIN_MS };
  return { keepLast: p.keepLast ?? null, keepWithinMs: p.keepWithinMs ?? null };
}

/** Whether a workspace deleted at `deletedAt` is past its backups' retention window. */
export function deletedWindowOver(deletedAt: number, policy: RetentionPolicy, now: number): boolean {
  return now - deletedAt > (policy.deletedRetentionMs ?? DEFAULT_DELETED_RETENTION_MS);
}

/**
 * Splits `backups` (any order) into kept and dropped. `deletedAt`: the workspace's deletion time
 * (ms) when it was deleted; then, past `deletedRetentionMs`, every backup is dropped.
 */
export function selectRetained(
  backups: readonly BackupManifest[],
  policy: RetentionPolicy,
  now: number,
  deletedAt?: number,
): RetentionChoice {
  const rules = effectiveRules(policy);
  const sorted = [...backups].sort((a, b) =>
    a.createdAt === b.createdAt
      ? a.backupId.localeCompare(b.backupId)
      : a.createdAt.localeCompare(b.createdAt),
  );
  if (deletedAt !== undefined && deletedWindowOver(deletedAt, policy, now))
    return { keep: [], drop: sorted, rules };
  const keep: Array<{ manifest: BackupManifest; reasons: KeepReason[] }> = [];
  const drop: BackupManifest[] = [];
  sorted.forEach((manifest, i) => {
    const reasons: KeepReason[] = [];
    const fromNewest = sorted.length - 1 - i;
    if (rules.keepLast !== null && fromNewest < rules.keepLast) reasons.push('last');
    if (rules.keepWithinMs !== null && now - Date.parse(manifest.createdAt) <= rules.keepWithinMs)
      reasons.push('within');
    if (fromNewest === 0) reasons.push(deletedAt !== undefined ? 'deleted-window' : 'newest');
    if (reasons.length > 0) keep.push({ manifest, reasons });
    else drop.push(manifest);
  });
  return { keep, drop, rules };
}
