/**
 * Replays one shard of a session log (every actor whose lines `logShards.ts` assigns to it) with a
 * fresh {@link Replayer}, in file order, and returns every rebuilt actor as plain data — or the
 * number and reason of the first line it could not apply (it stops there, as a single-threaded
 * replay would). Runs in a replay worker, or in-thread for a log too small to be worth workers.
 */
import { defaultRegistry } from '../registry.js';
import { forEachShardLine } from './logShards.js';
import type { ParallelReplayedActor, ReplayJob, ShardResult } from './replayProtocol.js';
import { Replayer } from './replay.js';

const registry = defaultRegistry();

/** A line the Replayer could not apply: ends the shard's replay. */
class LineFailure extends Error {
  constructor(
    readonly line: number,
    cause: unknown,
  ) {
    super(`line ${line}`, { cause });
  }
}

export function replayShard(job: ReplayJob): ShardResult {
  const replayer = new Replayer(registry);
  const firstLines: number[] = []; // by order of appearance in replayer.actors
  try {
    forEachShardLine(job.path, job.shard, job.shards, (line, n) => {
      try {
        replayer.applyLine(line, job.validate);
      } catch (cause) {
        throw new LineFailure(n, cause);
      }
      while (firstLines.length < replayer.actors.size) firstLines.push(n);
    });
  } catch (e) {
    if (!(e instanceof LineFailure)) throw e;
    const message = e.cause instanceof Error ? e.cause.message : String(e.cause);
    return {
      applied: replayer.applied,
      skipped: replayer.skipped,
      actors: [],
      error: { line: e.line, message },
    };
  }
  const actors: ParallelReplayedActor[] = [...replayer.actors.values()].map((a, i) => ({
    key: a.key,
    kind: a.kind,
    turn: a.turn,
    lastSeq: a.lastSeq,
    divergences: a.divergences,
    persisted: replayer.persisted(a.key),
    firstLine: firstLines[i] ?? 0,
  }));
  return { applied: replayer.applied, skipped: replayer.skipped, actors };
}
