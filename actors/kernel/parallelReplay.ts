/**
 * Parallel replay of a session JSONL log. Actors are independent — only the order of one actor's
 * records matters — so the lines are partitioned by actor over worker threads, each running its
 * own {@link Replayer} over its share, and the per-actor results are merged back in file order.
 * One thread is bound by a JSON.parse and an XState transition per event; workers add cores.
 *
 * Partitioning must be cheap, so it does not parse lines: the record's `"actor":{…}` object is
 * found by a string scan and its text hashed (a line where the scan fails is parsed in full, and
 * one without an actor goes to shard 0, whose Replayer then reports it). Every worker reads the
 * file itself and keeps its own lines: that measured as fast as splitting the text on the main
 * thread and posting each worker its share, without that serial step or the whole file in memory.
 *
 * The first failing line (in file order) is reported as {@link ReplayInputError} naming file:line,
 * exactly the line a single-threaded replay would stop at: whether a line fails depends only on
 * the lines of its own actor before it, which its worker applied in order.
 */
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { ResourceLimits, Worker } from 'node:worker_threads';
import type { ParallelReplayedActor, ReplayJob, ShardResult, WorkerMessage } from './replayProtocol.js';
import { replayShard } from './replayShard.js';
import { spawnWorker } from './spawnWorker.js';

/**
 * Logs smaller than this are replayed in-thread by default: starting workers (~160 ms, mostly
 * module loading in each) costs more than it saves below roughly 50,000 turns.
 */
export const IN_THREAD_MAX_BYTES = 8 * 1024 * 1024;

export interface ParallelReplayOptions {
  /**
   * worker threads; 0 replays in this thread (default: 0 for logs under IN_THREAD_MAX_BYTES,
   * else os.availableParallelism())
   */
  readonly workers?: number;
  /** check every line against the JsonlLine schema, as `moe replay` does */
  readonly validate?: boolean;
}

export type { ParallelReplayedActor, ReplayJob, ShardResult, WorkerMessage } from './replayProtocol.js';

export interface ParallelReplayResult {
  readonly file: string;
  readonly workers: number;
  readonly applied: number;
  readonly skipped: number;
  /** in order of first appearance in the log, as `Replayer.actors` */
  readonly actors: ParallelReplayedActor[];
}

/** A line of the log could not be replayed. */
export class ReplayInputError extends Error {
  override readonly name = 'ReplayInputError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
  }
}

/**
 * Young generation of each worker (a 64 MB semi-space; V8's default for a worker is a quarter of
 * it). Replay allocates a lot of short-lived objects (parsed lines, machine snapshots): a larger
 * nursery means fewer scavenges and fewer objects promoted only to die in the old generation.
 * Measured with the replay bench: this size was the fastest, larger ones gained nothing.
 */
const YOUNG_GENERATION_MB = 192;

function startWorker(resourceLimits: ResourceLimits): Worker {
  return spawnWorker(import.meta.url, './replayWorker', { resourceLimits });
}

interface Pending {
  resolve(result: ShardResult): void;
  reject(error: Error): void;
}

/**
 * Worker threads that replay logs, kept between replays (a worker's start is mostly module loading).
 * A worker that crashes or exits fails the pool: the replay under way rejects and every worker is
 * terminated.
 */
export class ReplayPool {
  private readonly workers: Worker[];
  private readonly pending = new Map<Worker, Pending>();
  private readonly ready: Promise<unknown>;
  private failure: Error | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(workers = availableParallelism(), youngGenerationMb = YOUNG_GENERATION_MB) {
    const count = Math.max(1, Math.floor(workers) || 1);
    const limits = { maxYoungGenerationSizeMb: youngGenerationMb };
    this.workers = Array.from({ length: count }, () => startWorker(limits));
    this.ready = Promise.all(this.workers.map((w) => this.listen(w)));
    this.ready.catch(() => undefined); // a failure is reported to the replay under way
  }

  get size(): number {
    return this.workers.length;
  }

  /** Resolves once every worker has loaded its modules (for measuring replays without it). */
  async started(): Promise<void> {
    await this.ready;
  }

  /** Replays the whole file; one replay at a time (calls queue). */
  replay(path: string, validate = false): Promise<ParallelReplayResult> {
    const run = this.queue.then(() => this.run(path, validate));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Terminates the workers; a replay under way rejects. */
  async close(): Promise<void> {
    this.fail(new Error('replay pool closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private listen(worker: Worker): Promise<void> {
    return new Promise((resolve, reject) => {
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') return resolve();
        const p = this.pending.get(worker);
        this.pending.delete(worker);
        p?.resolve(m.result);
      });
      const fail = (error: Error) => {
        reject(error);
        this.fail(error);
      };
      worker.on('error', (e) => fail(new Error(`replay worker failed: ${e.message}`, { cause: e })));
      worker.on('messageerror', (e) =>
        fail(new Error(`replay worker sent an unreadable message: ${e.message}`)),
      );
      worker.on('exit', (code) => fail(new Error(`replay worker exited (code ${code})`)));
    });
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    for (const w of this.workers) void w.terminate();
  }

  private async run(path: string, validate: boolean): Promise<ParallelReplayResult> {
    const shards = await Promise.all(
      this.workers.map(
        (worker, shard) =>
          new Promise<ShardResult>((resolve, reject) => {
            if (this.failure) return reject(this.failure);
            this.pending.set(worker, { resolve, reject });
            const job: ReplayJob = { path, shard, shards: this.workers.length, validate };
            worker.postMessage(job);
          }),
      ),
    );
    return merge(path, this.workers.length, shards);
  }
}

function merge(file: string, workers: number, shards: ShardResult[]): ParallelReplayResult {
  const failed = shards.flatMap((s) => (s.error ? [s.error] : [])).sort((a, b) => a.line - b.line)[0];
  if (failed) throw new ReplayInputError(file, failed.line, failed.message);
  const actors = shards.flatMap((s) => s.actors).sort((a, b) => a.firstLine - b.firstLine);
  const keys = new Set(actors.map((a) => a.key));
  if (keys.size !== actors.length) throw new Error(`${file}: an actor's lines went to two workers`);
  const sum = (f: (s: ShardResult) => number) => shards.reduce((t, s) => t + f(s), 0);
  return { file, workers, applied: sum((s) => s.applied), skipped: sum((s) => s.skipped), actors };
}

/** Replays the whole file on fresh worker threads (then terminates them), or in-thread. */
export async function replayParallel(
  path: string,
  options: ParallelReplayOptions = {},
): Promise<ParallelReplayResult> {
  const workers = options.workers ?? (statSync(path).size < IN_THREAD_MAX_BYTES ? 0 : availableParallelism());
  if (workers === 0)
    return merge(path, 0, [replayShard({ path, shard: 0, shards: 1, validate: options.validate ?? false })]);
  const pool = new ReplayPool(workers);
  try {
    return await pool.replay(path, options.validate ?? false);
  } finally {
    await pool.close();
  }
}
