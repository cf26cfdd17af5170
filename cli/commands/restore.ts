/**
 * `moe restore <org>/<workspace> [--backup ID | --at TIME] --to DIR [--json]`: downloads one backup
 * of a workspace from the configured object store (MOE_STORAGE_PRIMARY, default
 * `<MOE_DATA_DIR>/backups`, read through MOE_STORAGE_MIRROR first when it is set) into DIR, in the
 * workspace layout (`db/`, `sessions/`, `files/`), every object checked against the manifest's
 * sha256 (workspace-node/backup/restoreBackup.ts). Which backup: `--backup ID`, or the newest taken
 * at or before `--at TIME` (ISO 8601, or `30m` / `2h` / `7d` ago), else the latest. A copy that is
 * missing or fails its sha256 is read from the other copy (storage/mirroredStore.ts), said on
 * stderr, and repaired from the good one before the command ends.
 *
 * DIR must not exist or be empty (MOE_ERR_BACKUP_TARGET); a restore that fails removes what it
 * wrote, so the same command can be run again. Progress per phase (objects, bytes) goes to stderr;
 * the result to stdout (one JSON document under --json). Needs no NATS and no running node.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { MirroredStore, storeFromEnv, type ObjectStore, type StorageEvent } from '../../storage/index.js';
import {
  errors as nodeErrors,
  listBackups,
  readManifest,
  restoreBackup,
  restorePlan,
  workspaceBackupPrefix,
  workspaceStore,
  type BackupManifest,
  type RestoreProgress,
} from '../../workspace-node/index.js';
import { errors } from '../errors.js';

// the flags' checks, run before this module is loaded (cli/moe.ts)
export { checkBackupId, parseAt } from '../backupArgs.js';

export interface RestoreArgs {
  readonly org: string;
  readonly ws: string;
  /** a backup id (`moe backup list` shows them) */
  readonly backup?: string;
  /** the newest backup taken at or before this time */
  readonly at?: Date;
  readonly to: string;
  readonly json: boolean;
}

/** What a restore reports of the two copies: a bad or missing copy passed over, and its repair. */
type CopyEvent = Extract<
  StorageEvent,
  { type: 'integrity-mismatch' | 'read-fallback' | 'caught-up' | 'catch-up-failed' }
>;
const COPY_EVENTS: ReadonlySet<string> = new Set([
  'integrity-mismatch',
  'read-fallback',
  'caught-up',
  'catch-up-failed',
]);
const isCopyEvent = (e: StorageEvent): e is CopyEvent => COPY_EVENTS.has(e.type);

/** How often a long phase prints a progress line on stderr. */
const PROGRESS_EVERY_MS = 1_000;

/** The target must not exist, or be an empty directory: MOE_ERR_BACKUP_TARGET otherwise. */
function checkTarget(dir: string): { existed: boolean } {
  if (!existsSync(dir)) return { existed: false };
  if (!statSync(dir).isDirectory()) throw nodeErrors.BACKUP_TARGET(`${dir} (not a directory)`);
  if (readdirSync(dir).length > 0) throw nodeErrors.BACKUP_TARGET(dir);
  return { existed: true };
}

/** Removes what a failed restore wrote: the directory if it made it, else its content. */
function undo(dir: string, existed: boolean): void {
  if (!existsSync(dir)) return;
  if (!existed) rmSync(dir, { recursive: true, force: true });
  else for (const entry of readdirSync(dir)) rmSync(resolve(dir, entry), { recursive: true, force: true });
}

/** The backup `--backup` names, the newest at or before `--at`, or the latest. */
async function chooseBackup(
  store: ObjectStore,
  where: string,
  a: RestoreArgs,
  warn: (s: string) => void,
): Promise<BackupManifest> {
  if (a.backup !== undefined) return readManifest(store, a.backup);
  const backups = await listBackups(store, (id, e) =>
    warn(`moe: ${(e as { code?: string }).code ?? 'unknown'}: backup ${id} skipped: ${e.message}`),
  );
  if (backups.length === 0) throw nodeErrors.BACKUP_NOT_FOUND(`no backups of ${a.org}/${a.ws} in ${where}`);
  if (a.at === undefined) return backups.at(-1)!;
  const at = a.at.getTime();
  const before = backups.filter((m) => Date.parse(m.createdAt) <= at).at(-1);
  if (!before)
    throw errors.RESTORE_NONE_AT(
      `${a.org}/${a.ws} at ${a.at.toISOString()}: its oldest backup is ${backups[0]!.backupId}, taken ${backups[0]!.createdAt}`,
    );
  return before;
}

function size(bytes: number): string {
  if (bytes < 1e3) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** Progress lines: each phase's start and end, and in between at most one a second. */
function progressPrinter(progress: (s: string) => void): (p: RestoreProgress) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    const edge = p.objects === 0 || p.objects === p.totalObjects;
    if (!edge && now - last < PROGRESS_EVERY_MS) return;
    last = now;
    progress(
      `  ${p.phase.padEnd(9)} ${p.objects}/${p.totalObjects} objects, ${size(p.bytes)} of ${size(p.totalBytes)}`,
    );
  };
}

export async function restoreCommand(
  a: RestoreArgs,
  print: (s: string) => void,
  progress: (s: string) => void,
): Promise<number> {
  const to = resolve(a.to);
  const { existed } = checkTarget(to);
  const events: CopyEvent[] = [];
  // while the backup is chosen, a manifest the mirror lacks is no news (e.g. an unknown --backup)
  let choosing = true;
  const root = storeFromEnv(process.env, {
    onEvent: (e) => {
      if (!isCopyEvent(e)) return;
      if (choosing && e.type === 'read-fallback' && e.error.code === 'MOE_ERR_STORAGE_NOT_FOUND') return;
      events.push(e);
      if (e.type === 'caught-up') progress(`  repaired the ${e.copy}'s copy of ${e.key}`);
      else if (e.type === 'catch-up-failed')
        progress(`  could not repair the ${e.copy}'s copy of ${e.key} (${e.error.code})`);
      else
        progress(
          `  the ${e.copy}'s copy of ${e.key} ${e.type === 'integrity-mismatch' ? 'does not match its sha256' : `could not be read (${e.error.code})`}: reading the other copy`,
        );
    },
  });
  const store = workspaceStore(root, a.org, a.ws);
  const where = `${root.url} (under ${workspaceBackupPrefix(a.org, a.ws)}/)`;
  try {
    const manifest = await chooseBackup(store, where, a, progress);
    choosing = false;
    const plan = restorePlan(manifest);
    const total = plan.databases.bytes + plan.logs.bytes + plan.files.bytes;
    progress(
      `restoring backup ${manifest.backupId} of ${a.org}/${a.ws} (taken ${manifest.createdAt}; ${manifest.databases.length} databases, ${manifest.logs.length} logs, ${manifest.files.length} files, ${size(total)} stored) from ${where} to ${to}`,
    );
    const started = Date.now();
    let result: Awaited<ReturnType<typeof restoreBackup>>;
    try {
      result = await restoreBackup(store, manifest, to, { onProgress: progressPrinter(progress) });
    } catch (err) {
      undo(to, existed);
      throw err;
    }
    const durationMs = Date.now() - started;
    // a copy found bad or missing was queued for repair from the good one: finish that first
    if (root instanceof MirroredStore) await root.catchUp();
    const copies = events.map((e) => ({
      type: e.type,
      copy: e.copy,
      key: e.key,
      ...('error' in e ? { code: e.error.code } : {}),
    }));
    if (a.json) {
      print(
        JSON.stringify({
          workspace: `${a.org}/${a.ws}`,
          store: root.url,
          backupId: manifest.backupId,
          createdAt: manifest.createdAt,
          journalSeq: manifest.journalSeq,
          to,
          objects: result.objects,
          bytes: result.bytes,
          databases: manifest.databases.length,
          logs: manifest.logs.length,
          files: manifest.files.length,
          durationMs,
          copies,
        }),
      );
      return 0;
    }
    print(
      `restored backup ${manifest.backupId} of ${a.org}/${a.ws} to ${to}: ${result.objects} objects, ${size(result.bytes)}, every sha256 checked (${durationMs} ms)`,
    );
    for (const l of manifest.logs) print(`  replay a log: moe replay ${resolve(to, 'sessions', l.name)}`);
    return 0;
  } finally {
    (root as { close?: () => void }).close?.();
  }
}
