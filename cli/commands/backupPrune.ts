/**
 * `moe backup prune <org>/<ws> [--keep-last N] [--keep-within DURATION] [--deleted-keep DURATION]
 * [--dry-run] [--json]`: applies a retention policy to a workspace's backups in the configured
 * object store (MOE_STORAGE_PRIMARY, default `<MOE_DATA_DIR>/backups`, and MOE_STORAGE_MIRROR):
 * manifests outside the policy are deleted first, then the objects no remaining manifest lists
 * (workspace-node/backup/pruneBackups.ts). Needs no NATS and no running node. Progress goes to
 * stderr under --json, else to stdout; the summary (or one JSON object) to stdout.
 */
import { storeFromEnv } from '../../storage/index.js';
import { pruneBackups, workspaceStore, type PruneProgress } from '../../workspace-node/index.js';

export interface PruneArgs {
  readonly org: string;
  readonly ws: string;
  readonly keepLast?: number;
  readonly keepWithinMs?: number;
  readonly deletedRetentionMs?: number;
  readonly dryRun: boolean;
  readonly json: boolean;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

function describe(p: PruneProgress, dryRun: boolean): string | null {
  switch (p.type) {
    case 'plan':
      return `plan: keep ${p.keep} backup(s), ${dryRun ? 'would delete' : 'delete'} ${p.drop}${p.unreadable ? `, ${p.unreadable} unreadable manifest(s) left alone` : ''}`;
    case 'manifest':
      return `  deleted manifest ${p.backupId} (${p.done}/${p.total})`;
    case 'scan':
      return `scan: ${p.objects} data object(s), ${p.unreferenced} referenced by no remaining backup (${mb(p.bytes)})`;
    case 'object':
      // every 100th, and the last: a prune of thousands of blobs stays readable
      return p.done % 100 === 0 || p.done === p.total ? `  deleted ${p.done}/${p.total} object(s)` : null;
  }
}

export async function backupPruneCommand(
  a: PruneArgs,
  print: (s: string) => void,
  progress: (s: string) => void,
): Promise<number> {
  const root = storeFromEnv(process.env);
  const store = workspaceStore(root, a.org, a.ws);
  try {
    progress(`${a.dryRun ? 'dry run: ' : ''}pruning backups of ${a.org}/${a.ws} in ${store.url} …`);
    const r = await pruneBackups(store, {
      ...(a.keepLast !== undefined ? { keepLast: a.keepLast } : {}),
      ...(a.keepWithinMs !== undefined ? { keepWithinMs: a.keepWithinMs } : {}),
      ...(a.deletedRetentionMs !== undefined ? { deletedRetentionMs: a.deletedRetentionMs } : {}),
      dryRun: a.dryRun,
      onProgress: (p) => {
        const line = describe(p, a.dryRun);
        if (line !== null) progress(line);
      },
    });
    if (a.json) {
      print(JSON.stringify({ workspace: `${a.org}/${a.ws}`, store: store.url, ...r }));
      return 0;
    }
    for (const u of r.unreadable)
      progress(`  ${u.code}: manifest ${u.backupId} unreadable, kept: ${u.message}`);
    if (!r.collected) progress('  objects not collected: an unreadable manifest may reference any of them');
    if (r.deletedWorkspace)
      progress(
        `  workspace deleted at ${new Date(r.deletedWorkspace.deletedAt).toISOString()}: ${r.deletedWorkspace.expired ? 'retention window over, every backup goes' : 'within its retention window'}`,
      );
    const verb = a.dryRun ? 'would delete' : 'deleted';
    print(
      `${a.org}/${a.ws}: kept ${r.kept.length} backup(s), ${verb} ${r.deleted.length}; ${verb} ${r.objects.deleted} object(s) (${mb(r.objects.bytes)}), ${r.objects.remaining} left${r.markerRemoved ? '; deletion marker removed' : ''}`,
    );
    return 0;
  } finally {
    (root as { close?: () => void }).close?.();
  }
}
