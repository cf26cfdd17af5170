/**
 * `moe reproject <workspace dir> [--json]`: rebuilds a workspace's projections (messages.db,
 * parsed_sessions.db, metrics.db, workspace.db's backup catalogue) from its session logs (`sessions/*.jsonl`), in batches of
 * entries. Rows are keyed by (seq, turn), so it fills what is missing — after a `projection batch
 * dropped`, or into fresh databases after the old ones were deleted — and never doubles a row.
 * Safe while a node runs (WAL; the node's own projections insert the same keys).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { forEachShardLine } from '../../actors/kernel/index.js';
import type { JournalRecord } from '../../schemas/index.js';
import { createProjector, lineTurns, openSqliteCluster } from '../../workspace-node/index.js';
import { errors } from '../errors.js';

const BATCH_LINES = 1_000;

export interface ReprojectReport {
  readonly dir: string;
  readonly logs: number;
  readonly entries: number;
  readonly turns: number;
}

export function reprojectWorkspace(dir: string): ReprojectReport {
  const root = resolve(dir);
  const sessions = join(root, 'sessions');
  if (!existsSync(sessions))
    throw errors.REPROJECT_INPUT(`${dir} is not a workspace directory (no sessions/ folder in it)`);
  const logs = readdirSync(sessions).filter((f) => f.endsWith('.jsonl'));
  const cluster = openSqliteCluster(join(root, 'db'));
  let entries = 0;
  let turns = 0;
  try {
    const project = createProjector(cluster);
    for (const log of logs) {
      const file = join(sessions, log);
      let batch: Array<readonly [JournalRecord, number]> = [];
      forEachShardLine(file, 0, 1, (line, n) => {
        try {
          batch.push(...lineTurns(line));
        } catch (cause) {
          const reason = cause instanceof Error ? cause.message : String(cause);
          throw errors.REPROJECT_INPUT(`${file}:${n}: ${reason}`, { cause });
        }
        if (++entries % BATCH_LINES === 0) {
          turns += batch.length;
          project(batch);
          batch = [];
        }
      });
      turns += batch.length;
      project(batch);
    }
  } finally {
    cluster.close();
  }
  return { dir: root, logs: logs.length, entries, turns };
}

export function reprojectCommand(a: { dir: string; json: boolean }, print: (s: string) => void): number {
  const report = reprojectWorkspace(a.dir);
  print(
    a.json
      ? JSON.stringify(report)
      : `reprojected ${report.turns} turns (${report.entries} entries, ${report.logs} session logs) into ${join(report.dir, 'db')}`,
  );
  return 0;
}
