/**
 * The offline backup commands, reading the configured object store (MOE_STORAGE_PRIMARY, default
 * `<MOE_DATA_DIR>/backups`, and MOE_STORAGE_MIRROR) under the workspace's prefix `<org>/<ws>/`:
 * - `moe backup list <org>/<ws> [--json]`: every backup with a readable manifest, oldest first;
 * - `moe backup verify <org>/<ws> [--id ID] [--json]`: restores the backup (default the latest)
 *   into a temp dir, checks every sha256, `PRAGMA integrity_check` and replays every session log
 *   (workspace-node/backup/verifyBackup.ts); prints each problem with its code; exit 0 when sound,
 *   1 otherwise. Needs no NATS and no running node. (`moe backup <org>/<ws>`, an on-demand backup
 *   through the running node, is another command: cli/commands/backup.ts.)
 */
import { storeFromEnv, type ObjectStore } from '../../storage/index.js';
import {
  errors as nodeErrors,
  listBackups,
  readManifest,
  verifyBackup,
  workspaceStore,
  type BackupManifest,
} from '../../workspace-node/index.js';
import { table } from '../output.js';

export { parseWorkspaceArg } from '../backupArgs.js';

function openWorkspaceStore(org: string, ws: string): { store: ObjectStore; close: () => void } {
  const root = storeFromEnv(process.env);
  return {
    store: workspaceStore(root, org, ws),
    close: () => (root as { close?: () => void }).close?.(),
  };
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function summary(m: BackupManifest) {
  return {
    backupId: m.backupId,
    createdAt: m.createdAt,
    previous: m.previous,
    files: m.files.length,
    fileBytes: m.files.reduce((s, f) => s + f.size, 0),
    logs: m.logs.length,
    databases: m.databases.length,
    journalSeq: m.journalSeq,
    storedBytes: m.objects.reduce((s, o) => s + o.size, 0),
  };
}

export async function backupListCommand(
  a: { org: string; ws: string; json: boolean },
  print: (s: string) => void,
  warn: (s: string) => void,
): Promise<number> {
  const { store, close } = openWorkspaceStore(a.org, a.ws);
  try {
    const unreadable: Array<{ backupId: string; code: string; message: string }> = [];
    const backups = await listBackups(store, (backupId, e) =>
      unreadable.push({ backupId, code: (e as { code?: string }).code ?? 'unknown', message: e.message }),
    );
    const rows = backups.map(summary);
    if (a.json) {
      print(JSON.stringify({ workspace: `${a.org}/${a.ws}`, store: store.url, backups: rows, unreadable }));
      return 0;
    }
    for (const u of unreadable) warn(`moe: ${u.code}: backup ${u.backupId} skipped: ${u.message}`);
    if (rows.length === 0) {
      print(`no backups of ${a.org}/${a.ws} in ${store.url}`);
      return 0;
    }
    print(
      table([
        ['backup', 'created', 'files', 'file bytes', 'logs', 'journal seq', 'stored', 'incremental on'],
        ...rows.map((r) => [
          r.backupId,
          r.createdAt,
          String(r.files),
          mb(r.fileBytes),
          String(r.logs),
          String(r.journalSeq),
          mb(r.storedBytes),
          r.previous ?? '-',
        ]),
      ]),
    );
    print(`${rows.length} backup(s) of ${a.org}/${a.ws} in ${store.url}`);
    return 0;
  } finally {
    close();
  }
}

export async function backupVerifyCommand(
  a: { org: string; ws: string; id?: string; json: boolean },
  print: (s: string) => void,
  progress: (s: string) => void,
): Promise<number> {
  const { store, close } = openWorkspaceStore(a.org, a.ws);
  try {
    let manifest: BackupManifest;
    if (a.id !== undefined) manifest = await readManifest(store, a.id);
    else {
      const latest = (await listBackups(store)).at(-1);
      if (!latest) throw nodeErrors.BACKUP_NOT_FOUND(`no backups of ${a.org}/${a.ws} in ${store.url}`);
      manifest = latest;
    }
    const s = summary(manifest);
    progress(
      `verifying backup ${s.backupId} of ${a.org}/${a.ws} (${s.files} files, ${s.logs} logs, ${s.databases} databases, ${mb(s.storedBytes)} stored) from ${store.url} …`,
    );
    const r = await verifyBackup(store, manifest);
    if (a.json) {
      print(JSON.stringify({ workspace: `${a.org}/${a.ws}`, store: store.url, ...r }));
      return r.ok ? 0 : 1;
    }
    progress(`  objects: ${r.objects} restored (${mb(r.bytes)})`);
    for (const d of r.databases)
      progress(`  db ${d.name}: integrity_check ${d.integrity.slice(0, 3).join('; ')}`);
    for (const l of r.replay)
      progress(
        `  log ${l.log}: replay ${l.ok ? 'ok' : 'MISMATCH'} (${l.applied} applied, ${l.skipped} skipped)`,
      );
    for (const p of r.problems) print(`  problem ${p.code} ${p.key}: ${p.message}`);
    print(
      r.ok
        ? `backup ${r.backupId} OK: ${r.objects} objects, ${r.databases.length} databases, ${r.replay.length} logs replayed (${r.durationMs} ms)`
        : `backup ${r.backupId} FAILED verification: ${r.problems.length} problem(s) (${[...new Set(r.problems.map((p) => p.code))].join(', ')})`,
    );
    return r.ok ? 0 : 1;
  } finally {
    close();
  }
}
