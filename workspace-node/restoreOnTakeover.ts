/**
 * Restore on takeover (issue 8 item 4): a node that comes to host a workspace whose directory in
 * its own data dir has no state (no `db/sessions.db`) — a takeover from a dead node, or a move to a
 * node with a fresh disk — restores the workspace's latest backup from the configured store
 * (backup/workspaceStore.ts: `workspaces/<org>/<ws>/` under MOE_STORAGE_PRIMARY) before it serves.
 * So does a node whose state there is older than that backup (it comes back after other nodes ran
 * the workspace): the old directory is set aside first (staleLocalState.ts).
 *
 *   1. before serving: the SQLite snapshots and the session logs (small); the kernel then catches
 *      the actors up from MOE_EVT past the snapshot's sequence (the journal is the truth; a snapshot
 *      is never ahead of it), so a takeover costs seconds, not the size of the workspace;
 *   2. in the background: the workspace files. `files` resolves when they are back; every
 *      `tool.run` waits for it (effects/toolRun.ts), nothing else does. With a shared files root
 *      (MOE_FILES_ROOT) files are not restored: they are already there.
 *
 * No backup: the workspace starts empty, as before (logged). A restore that fails is logged and
 * the workspace starts with whatever was restored, never half a database: each phase is staged in
 * a sibling directory and moved into place only when complete. Files still to come back are named
 * in `<dir>/.restore-files-pending` (the backup id): a node stopped before they were back resumes
 * them at its next start. The restore time (RTO) of each
 * phase is logged. The store must be shared by the nodes (a shared path, gs:// or s3://): the
 * default `<MOE_DATA_DIR>/backups` is one node's own disk, where another node finds nothing.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { ObjectStore } from '../storage/index.js';
import {
  latestBackup,
  readManifest,
  restoreBackup,
  workspaceStore,
  type BackupManifest,
} from './backup/index.js';
import { backupNewerThanLocal, setAside, type JournalHead } from './staleLocalState.js';

export interface TakeoverRestoreOptions {
  /** the configured store (all workspaces); the workspace's view is taken here */
  readonly store: ObjectStore;
  readonly org: string;
  readonly ws: string;
  /** the workspace directory in this node's data dir (workspaceHost.ts) */
  readonly dir: string;
  /** where the files go; undefined: shared files root, files are not restored */
  readonly filesDir: string | undefined;
  readonly log: Logger;
  /**
   * aborted when the node stops: files still downloading are then not moved into place (the
   * pending marker stays, the next start resumes them), so nothing writes the workspace after stop
   */
  readonly signal?: AbortSignal;
  /**
   * the journal's last sequence on a subject: with it, local state older than the latest backup
   * (other nodes ran the workspace since) is set aside and the backup restored (staleLocalState.ts)
   */
  readonly journalHead?: JournalHead;
}

export interface TakeoverRestore {
  /** the backup restored, if any */
  readonly backupId: string | undefined;
  /** resolves when the workspace files are back (at once when there is nothing to restore) */
  readonly files: Promise<void>;
  /** ms until the databases and logs were back (the time to serve); undefined: nothing restored */
  readonly rtoMs?: number;
  /** ms until the files were back too (undefined: none restored, or their restore failed) */
  readonly filesRtoMs?: Promise<number | undefined>;
}

/** In the workspace dir while its files are still to be restored: the backup id. */
export const PENDING_FILES = '.restore-files-pending';

const NOTHING: TakeoverRestore = { backupId: undefined, files: Promise.resolve() };

/** Whether the workspace directory already holds state (then nothing is restored). */
export function hasLocalState(dir: string): boolean {
  return existsSync(join(dir, 'db', 'sessions.db'));
}

function staging(dir: string, phase: string): string {
  const path = join(dirname(dir), `.${phase}-${Date.now()}-${process.pid}-${basename(dir)}`);
  rmSync(path, { recursive: true, force: true });
  return path;
}

/** Moves `from` to `to` when `to` is absent or an empty directory; else merges, keeping `to`'s entries. */
function moveInto(from: string, to: string): void {
  if (existsSync(to) && readdirSync(to).length === 0) rmdirSync(to);
  if (!existsSync(to)) {
    mkdirSync(dirname(to), { recursive: true });
    renameSync(from, to);
    return;
  }
  cpSync(from, to, { recursive: true, force: false, preserveTimestamps: true });
  rmSync(from, { recursive: true, force: true });
}

/** Restores the latest backup when the workspace has no local state; see the module comment. */
export async function restoreOnTakeover(o: TakeoverRestoreOptions): Promise<TakeoverRestore> {
  const log = o.log.child({ org: o.org, ws: o.ws, restore: true });
  const store = workspaceStore(o.store, o.org, o.ws);
  const t0 = performance.now();
  let manifest: BackupManifest | undefined;
  if (hasLocalState(o.dir)) {
    manifest = await newerThanLocal(o, store, log);
    if (!manifest || !setAside(o.dir, log)) return resumeFiles(o, store, log, t0);
  } else {
    try {
      manifest = await latestBackup(store);
    } catch (err) {
      log.error({ err, store: store.url }, 'restore: cannot read the backup catalogue; starting empty');
      return NOTHING;
    }
  }
  if (!manifest) {
    log.info({ store: store.url }, 'restore: no backup of this workspace; starting empty');
    return NOTHING;
  }
  const m = manifest;
  const filesDir = m.files.length > 0 ? o.filesDir : undefined;
  log.info(
    {
      backupId: m.backupId,
      createdAt: m.createdAt,
      journalSeq: m.journalSeq,
      databases: m.databases.length,
      logs: m.logs.length,
      files: o.filesDir === undefined ? 'shared' : m.files.length,
    },
    'restore: taking the workspace over from its latest backup',
  );

  // Phase 1, before serving: databases and logs.
  const stage = staging(o.dir, 'restore-db');
  let rtoMs: number;
  try {
    const r = await restoreBackup(store, { ...m, files: [] }, stage);
    // Written before the databases are in place: a node stopped before the files are back
    // resumes them at its next start (the databases then say the workspace has state).
    if (filesDir !== undefined) {
      mkdirSync(o.dir, { recursive: true });
      writeFileSync(join(o.dir, PENDING_FILES), `${m.backupId}\n`);
    }
    moveInto(join(stage, 'db'), join(o.dir, 'db'));
    moveInto(join(stage, 'sessions'), join(o.dir, 'sessions'));
    rtoMs = Math.round(performance.now() - t0);
    log.info(
      { backupId: m.backupId, objects: r.objects, bytes: r.bytes, rtoMs },
      'restore: databases and logs back; the kernel catches up from the journal',
    );
  } catch (err) {
    log.error({ err, backupId: m.backupId }, 'restore: databases and logs failed; starting empty');
    rmSync(join(o.dir, 'db'), { recursive: true, force: true });
    rmSync(join(o.dir, 'sessions'), { recursive: true, force: true });
    rmSync(join(o.dir, PENDING_FILES), { force: true });
    return NOTHING;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }

  if (filesDir === undefined) return { backupId: m.backupId, files: Promise.resolve(), rtoMs };
  // Phase 2, in the background: files. Tool calls wait for it.
  return withFiles(m.backupId, rtoMs, restoreFiles(store, m, o, filesDir, log, t0));
}

/** The latest backup when the local state is older (staleLocalState.ts); undefined on any doubt. */
async function newerThanLocal(
  o: TakeoverRestoreOptions,
  store: ObjectStore,
  log: Logger,
): Promise<BackupManifest | undefined> {
  if (!o.journalHead) return undefined;
  try {
    return await backupNewerThanLocal({
      dir: o.dir,
      org: o.org,
      ws: o.ws,
      store,
      journalHead: o.journalHead,
    });
  } catch (err) {
    log.warn({ err }, 'restore: cannot tell whether the local state is stale; serving it');
    return undefined;
  }
}

/** With local state: a node stopped before its files came back resumes their restore. */
async function resumeFiles(
  o: TakeoverRestoreOptions,
  store: ObjectStore,
  log: Logger,
  t0: number,
): Promise<TakeoverRestore> {
  const pending = pendingFiles(o.dir);
  if (pending === undefined || o.filesDir === undefined) return NOTHING;
  try {
    const m = await readManifest(store, pending);
    log.info({ backupId: m.backupId, files: m.files.length }, 'restore: resuming the files');
    return withFiles(m.backupId, undefined, restoreFiles(store, m, o, o.filesDir, log, t0));
  } catch (err) {
    log.error({ err, backupId: pending }, 'restore: cannot resume the files; tools run on what is there');
    rmSync(join(o.dir, PENDING_FILES), { force: true });
    return NOTHING;
  }
}

/** A restore whose files come back in the background (`files` never rejects). */
function withFiles(
  backupId: string,
  rtoMs: number | undefined,
  filesRtoMs: Promise<number | undefined>,
): TakeoverRestore {
  return { backupId, files: filesRtoMs.then(() => undefined), rtoMs, filesRtoMs };
}

/** The backup whose files are still to come back, if any. */
function pendingFiles(dir: string): string | undefined {
  const path = join(dir, PENDING_FILES);
  return existsSync(path) ? readFileSync(path, 'utf8').trim() || undefined : undefined;
}

/** Phase 2: the files of `m` into `filesDir`; resolves with its rtoMs, never rejects (a failure is logged). */
async function restoreFiles(
  store: ObjectStore,
  m: BackupManifest,
  { dir, signal }: TakeoverRestoreOptions,
  filesDir: string,
  log: Logger,
  t0: number,
): Promise<number | undefined> {
  const stage = staging(dir, 'restore-files');
  try {
    const r = await restoreBackup(store, { ...m, databases: [], logs: [] }, stage);
    if (signal?.aborted) {
      log.info({ backupId: m.backupId }, 'restore: node stopping; the files are resumed at its next start');
      return undefined;
    }
    moveInto(join(stage, 'files'), filesDir);
    rmSync(join(dir, PENDING_FILES), { force: true });
    const rtoMs = Math.round(performance.now() - t0);
    log.info({ backupId: m.backupId, files: m.files.length, bytes: r.bytes, rtoMs }, 'restore: files back');
    return rtoMs;
  } catch (err) {
    log.error({ err, backupId: m.backupId }, 'restore: files failed; tools run on what is there');
    return undefined;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
