/**
 * The mark a deleted workspace leaves in its backup prefix: `deleted.json`, written by the node
 * that tears the workspace down (../retirement.ts), next to the backups it keeps. Prune reads it
 * (pruneBackups.ts) to apply the retention window of deleted workspaces, and removes it last, once
 * no backup is left. It is not part of any backup: restore and verify never read it.
 */
import type { ObjectStore } from '../../storage/index.js';

export const DELETED_KEY = 'deleted.json';

export interface DeletedMarker {
  readonly org: string;
  readonly ws: string;
  /** ms since the epoch */
  readonly deletedAt: number;
  /** the node that tore it down */
  readonly node: string;
}

export async function writeDeletedMarker(store: ObjectStore, marker: DeletedMarker): Promise<void> {
  await store.put(DELETED_KEY, Buffer.from(`${JSON.stringify(marker)}\n`), {
    contentType: 'application/json',
  });
}

/** The marker, or undefined when the workspace was not deleted (or its marker is unreadable JSON). */
export async function readDeletedMarker(store: ObjectStore): Promise<DeletedMarker | undefined> {
  if (!(await store.head(DELETED_KEY))) return undefined;
  try {
    const m = JSON.parse((await store.get(DELETED_KEY)).toString('utf8')) as Partial<DeletedMarker>;
    return typeof m.deletedAt === 'number' ? (m as DeletedMarker) : undefined;
  } catch (err) {
    if ((err as { code?: string }).code === 'MOE_ERR_STORAGE_NOT_FOUND') return undefined;
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}
