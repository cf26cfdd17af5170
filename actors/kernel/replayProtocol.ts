/**
 * The messages between the parallel replay (parallelReplay.ts) and its workers (replayWorker.ts,
 * replayShard.ts): the job a worker is given and the plain data it answers with. Its own module so
 * the workers do not import the pool that starts them.
 */

/** One rebuilt actor, as a worker sends it back: plain data, its snapshot in persisted form. */
export interface ParallelReplayedActor {
  readonly key: string;
  readonly kind: string;
  readonly turn: number;
  readonly lastSeq: number;
  readonly divergences: Array<{ seq: number; recorded: string; replayed: string }>;
  /** `Replayer.persisted(key)`: the snapshot as the kernel stores it */
  readonly persisted: unknown;
  /** the line the actor first appeared on (1-based): results are ordered by it */
  readonly firstLine: number;
}

/** What a worker is asked to do: replay the lines of `path` whose shard is `shard`. */
export interface ReplayJob {
  readonly path: string;
  readonly shard: number;
  readonly shards: number;
  readonly validate: boolean;
}

/** What a worker answers: its actors, or the first line it could not apply. */
export interface ShardResult {
  readonly applied: number;
  readonly skipped: number;
  readonly actors: ParallelReplayedActor[];
  readonly error?: { readonly line: number; readonly message: string };
}

export type WorkerMessage = { type: 'ready' } | { type: 'done'; result: ShardResult };
