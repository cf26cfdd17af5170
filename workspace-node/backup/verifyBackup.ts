/**
 * Verification: a backup that restores, not one that is hoped to. Restores the backup into a temp
 * dir (every object's sha256 checked), runs `PRAGMA integrity_check` on every restored database,
 * and replays every restored session log against the restored sessions.db (replayCheck.ts, as
 * `moe replay` does). Never throws for a bad backup: every problem is in the result, with its code
 * (MOE_ERR_BACKUP_INTEGRITY: a missing or mismatching object, or a database that fails its
 * integrity check; MOE_ERR_BACKUP_REPLAY: a log that does not replay to its snapshots).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { ObjectStore } from '../../storage/index.js';
import { errors } from '../errors.js';
import { readManifest } from './catalogue.js';
import type { BackupManifest } from './manifest.js';
import { replayAgainstSnapshot, type LogReplayCheck } from './replayCheck.js';
import { restoreBackup } from './restoreBackup.js';

export interface VerifyProblem {
  readonly code: string;
  /** the object, database or log concerned */
  readonly key: string;
  readonly message: string;
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly backupId: string;
  /** objects restored with a matching sha256, and their stored bytes */
  readonly objects: number;
  readonly bytes: number;
  /** `PRAGMA integrity_check` of each restored database: ['ok'] when sound */
  readonly databases: Array<{ readonly name: string; readonly integrity: string[] }>;
  readonly replay: LogReplayCheck[];
  readonly problems: VerifyProblem[];
  readonly durationMs: number;
}

export interface VerifyOptions {
  /** parent of the temp restore dir (default the OS temp dir) */
  readonly tmpDir?: string;
  /** keep the restored dir (its path is then `restoredTo`) instead of removing it */
  readonly keep?: boolean;
}

function integrityCheck(path: string): string[] {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
  } finally {
    db.close();
  }
}

/** Verifies the backup (a manifest, or a backup id read from the store). */
export async function verifyBackup(
  store: ObjectStore,
  backup: BackupManifest | string,
  options: VerifyOptions = {},
): Promise<VerifyResult & { restoredTo?: string }> {
  const t0 = performance.now();
  const manifest = typeof backup === 'string' ? await readManifest(store, backup) : backup;
  const work = mkdtempSync(join(options.tmpDir ?? tmpdir(), 'moe-verify-'));
  const dir = join(work, 'restored');
  const problems: VerifyProblem[] = [];
  try {
    const restored = await restoreBackup(store, manifest, dir, {
      onIntegrityError: (key, e) =>
        problems.push({ code: errors.BACKUP_INTEGRITY.spec.code, key, message: e.message }),
    });
    const databases = manifest.databases
      .filter((d) => existsSync(join(dir, 'db', `${d.name}.db`)) && !problems.some((p) => p.key === d.key))
      .map((d) => {
        let integrity: string[];
        try {
          integrity = integrityCheck(join(dir, 'db', `${d.name}.db`));
        } catch (e) {
          integrity = [(e as Error).message];
        }
        if (integrity.join() !== 'ok')
          problems.push({
            code: errors.BACKUP_INTEGRITY.spec.code,
            key: `db/${d.name}`,
            message: `integrity_check: ${integrity.slice(0, 5).join('; ')}`,
          });
        return { name: d.name, integrity };
      });
    const replay: LogReplayCheck[] = [];
    const sessionsDb = join(dir, 'db', 'sessions.db');
    const damaged = new Set(problems.map((p) => p.key));
    mkdirSync(join(work, 'replay'));
    for (const log of manifest.logs) {
      const sessionsBad = manifest.databases.some((d) => d.name === 'sessions' && damaged.has(d.key));
      if (sessionsBad || log.segments.some((s) => damaged.has(s.key)) || !existsSync(sessionsDb)) continue;
      const check = await replayAgainstSnapshot(
        join(dir, 'sessions', log.name),
        sessionsDb,
        manifest.actors,
        join(work, 'replay', log.name),
      );
      replay.push(check);
      if (!check.ok) {
        const detail =
          check.error ??
          check.actors
            .filter((a) => a.match === false)
            .map((a) => `${a.actor}: ${a.diff.slice(0, 3).join('; ')}`)
            .join(' | ');
        problems.push({ code: errors.BACKUP_REPLAY.spec.code, key: `sessions/${log.name}`, message: detail });
      }
    }
    return {
      ok: problems.length === 0,
      backupId: manifest.backupId,
      objects: restored.objects,
      bytes: restored.bytes,
      databases,
      replay,
      problems,
      durationMs: Math.round(performance.now() - t0),
      ...(options.keep ? { restoredTo: dir } : {}),
    };
  } finally {
    if (!options.keep) rmSync(work, { recursive: true, force: true });
  }
}
