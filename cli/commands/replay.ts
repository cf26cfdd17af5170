/**
 * `moe replay <session.jsonl> [--db sessions.db] [--json]`: rebuilds every actor in a session log by
 * running its commands through the machines again, and compares each with the snapshot stored in
 * sessions.db (default: the workspace's db/sessions.db next to the log's folder). Exit 0 when all
 * match; 1 with a diff when not. Actors are rebuilt in parallel on worker threads, one share of
 * the actors per core (actors/kernel/parallelReplay.ts); every line is checked against the schema.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import {
  jsonDiff,
  replayParallel,
  ReplayInputError,
  type ParallelReplayResult,
} from '../../actors/kernel/index.js';
import { errors } from '../errors.js';
import { table } from '../output.js';

export interface ReplayReport {
  readonly file: string;
  readonly db: string | null;
  readonly applied: number;
  readonly skipped: number;
  readonly eventsPerSecond: number;
  readonly actors: Array<{
    actor: string;
    turn: number;
    state: string;
    match: boolean | null;
    diff: string[];
  }>;
  readonly ok: boolean;
}

export async function replayFile(file: string, dbPath?: string): Promise<ReplayReport> {
  const path = resolve(file);
  if (!existsSync(path)) throw errors.REPLAY_INPUT(`no such file: ${file}`);
  const t0 = performance.now();
  let replayed: ParallelReplayResult;
  try {
    replayed = await replayParallel(path, { validate: true });
  } catch (cause) {
    if (!(cause instanceof ReplayInputError)) throw cause;
    throw errors.REPLAY_INPUT(`${file}:${cause.line}: ${cause.reason}`, { cause });
  }
  const seconds = (performance.now() - t0) / 1000;
  const candidate = dbPath ?? join(dirname(path), '..', 'db', 'sessions.db');
  const db = existsSync(candidate) ? new Database(candidate, { readonly: true, fileMustExist: true }) : null;
  const load = db?.prepare<[string], { snapshot: string; turn: number }>(
    'SELECT snapshot, turn FROM actors WHERE key = ?',
  );
  const actors: ReplayReport['actors'] = [];
  for (const { key, persisted: rebuilt, ...a } of replayed.actors) {
    const row = load?.get(key);
    const diff = row ? jsonDiff(JSON.parse(row.snapshot), rebuilt) : [];
    for (const d of a.divergences)
      diff.push(`seq ${d.seq}: recorded state ${d.recorded}, replayed ${d.replayed}`);
    if (row && row.turn !== a.turn) diff.push(`turn: stored ${row.turn}, replayed ${a.turn}`);
    const state = String(
      (rebuilt as { value?: unknown }).value !== undefined
        ? JSON.stringify((rebuilt as { value: unknown }).value)
        : '?',
    );
    actors.push({ actor: key, turn: a.turn, state, match: row ? diff.length === 0 : null, diff });
  }
  db?.close();
  const ok = actors.every((a) => a.match !== false) && actors.every((a) => a.diff.length === 0);
  return {
    file: path,
    db: db ? resolve(candidate) : null,
    applied: replayed.applied,
    skipped: replayed.skipped,
    eventsPerSecond: Math.round(replayed.applied / Math.max(seconds, 1e-9)),
    actors,
    ok,
  };
}

export async function replayCommand(
  a: { file: string; db?: string; json: boolean },
  print: (s: string) => void,
): Promise<number> {
  const report = await replayFile(a.file, a.db);
  if (a.json) {
    print(JSON.stringify(report));
    return report.ok ? 0 : 1;
  }
  print(`replayed ${report.applied} turns (${report.skipped} repeated turns skipped) from ${report.file}`);
  print(
    report.db
      ? `compared with ${report.db}`
      : 'no sessions.db found next to the log: rebuilt state only (use --db)',
  );
  print(
    table([
      ['actor', 'turns', 'state', 'snapshot'],
      ...report.actors.map((x) => [
        x.actor,
        String(x.turn),
        x.state,
        x.match === null ? 'not stored' : x.match ? 'match' : 'DIFFERS',
      ]),
    ]),
  );
  for (const x of report.actors) if (x.diff.length) print(`\n${x.actor}:\n  ${x.diff.join('\n  ')}`);
  print(
    report.ok ? '\nOK: replayed state equals the stored snapshots' : '\nMISMATCH: see the differences above',
  );
  return report.ok ? 0 : 1;
}
