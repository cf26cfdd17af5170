/**
 * The replay half of verification: rebuild every actor of a restored session log by running its
 * commands through the machines again (the kernel's replayParallel, as `moe replay` does) and
 * compare each with its snapshot in the restored sessions.db. The log may run ahead of the
 * snapshot (a turn logged after sessions.db was copied), so the log is first cut to the lines each
 * actor's snapshot covers (seq ≤ its last_seq in the manifest); actors the snapshot does not hold
 * yet are left out.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { jsonDiff, replayParallel, ReplayInputError } from '../../actors/kernel/index.js';
import { addressKey, type ActorAddress } from '../../schemas/index.js';
import type { ActorCoverage } from './manifest.js';

export interface ReplayedActorCheck {
  readonly actor: string;
  readonly turn: number;
  /** null: sessions.db holds no snapshot of it */
  readonly match: boolean | null;
  readonly diff: string[];
}

export interface LogReplayCheck {
  readonly log: string;
  readonly ok: boolean;
  readonly applied: number;
  readonly skipped: number;
  readonly actors: ReplayedActorCheck[];
  /** a line that could not be replayed (file:line: reason) */
  readonly error?: string;
}

/** Copies the lines of `src` the snapshot covers into `dest`. */
async function cutToCoverage(src: string, dest: string, covered: ReadonlyMap<string, number>): Promise<void> {
  const out = createWriteStream(dest);
  for await (const line of createInterface({ input: createReadStream(src), crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    let keep: boolean;
    try {
      const { seq, rec } = JSON.parse(line) as { seq: number; rec: { actor: ActorAddress } };
      const last = covered.get(addressKey(rec.actor));
      keep = last !== undefined && seq <= last;
    } catch {
      keep = true; // a line that does not parse is kept: the replay reports it
    }
    if (keep && !out.write(`${line}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** Replays the restored log `logPath` against the restored `sessionsDb`. */
export async function replayAgainstSnapshot(
  logPath: string,
  sessionsDb: string,
  actors: readonly ActorCoverage[],
  workPath: string,
): Promise<LogReplayCheck> {
  await cutToCoverage(logPath, workPath, new Map(actors.map((a) => [a.key, a.lastSeq])));
  let replayed;
  try {
    replayed = await replayParallel(workPath, { validate: true });
  } catch (cause) {
    if (!(cause instanceof ReplayInputError)) throw cause;
    return {
      log: logPath,
      ok: false,
      applied: 0,
      skipped: 0,
      actors: [],
      error: `line ${cause.line}: ${cause.reason}`,
    };
  }
  const db = new Database(sessionsDb, { readonly: true, fileMustExist: true });
  try {
    const load = db.prepare<[string], { snapshot: string; turn: number }>(
      'SELECT snapshot, turn FROM actors WHERE key = ?',
    );
    const checks = replayed.actors.map(({ key, persisted, turn, divergences }): ReplayedActorCheck => {
      const row = load.get(key);
      const diff = row ? jsonDiff(JSON.parse(row.snapshot), persisted) : [];
      for (const d of divergences)
        diff.push(`seq ${d.seq}: recorded state ${d.recorded}, replayed ${d.replayed}`);
      if (row && row.turn !== turn) diff.push(`turn: stored ${row.turn}, replayed ${turn}`);
      return { actor: key, turn, match: row ? diff.length === 0 : null, diff };
    });
    return {
      log: logPath,
      ok: checks.every((c) => c.match !== false && c.diff.length === 0),
      applied: replayed.applied,
      skipped: replayed.skipped,
      actors: checks,
    };
  } finally {
    db.close();
  }
}
