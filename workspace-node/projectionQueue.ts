/**
 * The main-thread side of a workspace's projections: committed entries' session-log lines are
 * queued, sent to the projection worker once per event-loop turn, and kept until the worker says
 * they are committed. If the worker dies, a new one gets every batch still unanswered (projections
 * are idempotent by (seq, turn), so a batch applied twice is harmless); a batch that fails is sent
 * again a few times before it is logged and dropped (`moe replay`-style rebuilds restore it).
 *
 * A dying worker is restarted with exponential backoff, and only a bounded number of times in a
 * row: after {@link ProjectionQueueOptions.maxWorkerFailures} deaths without one committed batch in
 * between — however long each start took — the queue gives up on the worker, logs one error, marks
 * itself degraded (see {@link ProjectionQueue.status}, which the node's heartbeat carries to the
 * supervisor) and projects on the main thread: slower, but complete.
 */
import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { exponentialDelay, spawnWorker, systemClock, type Clock } from '../actors/kernel/index.js';
import { createProjector, lineTurns, type ProjectionDatabases, type Projector } from './projections.js';
import type { ProjectionReply } from './projectionWorker.js';

const MAX_ATTEMPTS = 3;

export interface ProjectionQueueOptions {
  /** delay before the first restart of a dead worker; doubles per consecutive death (default 100 ms) */
  readonly restartBaseMs?: number;
  /** the longest delay between restarts (default 5 s) */
  readonly restartMaxMs?: number;
  /** consecutive deaths, with no batch committed in between, before projecting on the main thread (default 5) */
  readonly maxWorkerFailures?: number;
  readonly clock?: Clock;
}

export interface ProjectionStatus {
  /** where projections run now */
  readonly mode: 'worker' | 'main-thread';
  /** worker restarts since the queue started */
  readonly workerRestarts: number;
  /** why the queue is degraded (set once it projects on the main thread) */
  readonly degraded?: string;
}

export class ProjectionQueue {
  /** undefined while a dead worker waits for its restart */
  private worker: Worker | undefined;
  private queued: string[] = [];
  private scheduled = false;
  private nextId = 1;
  private readonly inFlight = new Map<number, { lines: string[]; attempts: number }>();
  private idle: Array<() => void> = [];
  private closing = false;
  /** worker deaths since the last committed batch */
  private failures = 0;
  private restarts = 0;
  private restartTimer: unknown;
  private degraded: string | undefined;
  private lastError: unknown;
  /** set when the worker cannot run: projections then run here, on the main thread */
  private inline: Projector | undefined;
  private readonly clock: Clock;
  private readonly restartBaseMs: number;
  private readonly restartMaxMs: number;
  private readonly maxWorkerFailures: number;

  constructor(
    private readonly dbDir: string,
    private readonly dbs: ProjectionDatabases,
    private readonly log: Logger,
    options: ProjectionQueueOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.restartBaseMs = options.restartBaseMs ?? 100;
    this.restartMaxMs = options.restartMaxMs ?? 5_000;
    this.maxWorkerFailures = Math.max(1, options.maxWorkerFailures ?? 5);
    this.worker = this.spawn();
  }

  /** Where projections run, how often the worker was restarted, and why the queue is degraded (if it is). */
  get status(): ProjectionStatus {
    return {
      mode: this.inline ? 'main-thread' : 'worker',
      workerRestarts: this.restarts,
      ...(this.degraded ? { degraded: this.degraded } : {}),
    };
  }

  /** Committed entries not yet in the projection databases (queued or being projected): the projection lag. */
  get backlog(): number {
    let n = this.queued.length;
    for (const b of this.inFlight.values()) n += b.lines.length;
    return n;
  }

  /** Queues one committed entry's session-log line. */
  push(line: string): void {
    this.queued.push(line);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.send());
  }

  /** Resolves when everything pushed so far is committed to the projection databases. */
  async flush(): Promise<void> {
    this.send();
    if (this.inFlight.size === 0 || this.inline) return;
    this.worker?.ref();
    await new Promise<void>((resolve) => this.idle.push(resolve));
    this.worker?.unref();
  }

  async close(): Promise<void> {
    // A worker waiting for its restart is not started again just to be closed.
    if (!this.worker && !this.inline) this.projectOnMainThread('the projection worker was down at close');
    await this.flush();
    this.closing = true;
    this.clock.clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (this.inline || !worker) return;
    const exited = once(worker, 'exit');
    worker.postMessage('close');
    await exited;
  }

  private send(): void {
    this.scheduled = false;
    if (this.queued.length === 0) return;
    const lines = this.queued;
    this.queued = [];
    if (this.inline) return this.projectHere(lines);
    const id = this.nextId++;
    this.inFlight.set(id, { lines, attempts: 1 });
    // Without a worker the batch waits in inFlight; the restarted worker gets it.
    this.worker?.postMessage({ id, lines });
  }

  private projectHere(lines: readonly string[]): void {
    try {
      this.inline!(lines.flatMap(lineTurns));
    } catch (err) {
      this.log.error({ err, lines: lines.length }, 'projection batch dropped');
    }
  }

  private spawn(): Worker {
    const worker = spawnWorker(import.meta.url, './projectionWorker', { workerData: { dbDir: this.dbDir } });
    worker.unref();
    worker.on('message', (reply: ProjectionReply) => this.answered(reply));
    // Logged with the restart (below), not here: a worker that dies at every start must not flood the log.
    worker.on('error', (err) => (this.lastError = err));
    worker.on('exit', () => this.workerDied(worker));
    return worker;
  }

  private workerDied(worker: Worker): void {
    if (this.closing || this.worker !== worker) return;
    this.worker = undefined;
    this.failures++;
    if (this.failures >= this.maxWorkerFailures) {
      return this.projectOnMainThread(
        `the projection worker died ${this.failures} times in a row without committing a batch`,
      );
    }
    const delayMs = exponentialDelay(this.failures, {
      baseDelayMs: this.restartBaseMs,
      maxDelayMs: this.restartMaxMs,
    });
    this.log.warn(
      {
        batches: this.inFlight.size,
        failures: this.failures,
        of: this.maxWorkerFailures,
        delayMs,
        error: this.lastError instanceof Error ? this.lastError.message : undefined,
      },
      'projection worker exited; restarting it',
    );
    this.restartTimer = this.clock.setTimeout(() => this.restart(), delayMs);
  }

  private restart(): void {
    if (this.closing || this.inline || this.worker) return;
    this.restarts++;
    const worker = this.spawn();
    this.worker = worker;
    if (this.idle.length > 0) worker.ref();
    for (const [id, b] of this.inFlight) worker.postMessage({ id, lines: b.lines });
  }

  /** Gives up on the worker: one error line, degraded status, and every batch projected here from now on. */
  private projectOnMainThread(reason: string): void {
    this.degraded = `${reason}; projecting on the main thread`;
    this.log.error(
      { err: this.lastError, reason: this.degraded, failures: this.failures, restarts: this.restarts },
      'projection worker given up; projecting on the main thread (degraded)',
    );
    this.clock.clearTimeout(this.restartTimer);
    this.inline = createProjector(this.dbs);
    const batches = [...this.inFlight.values()];
    this.inFlight.clear();
    for (const b of batches) this.projectHere(b.lines);
    this.send();
    this.wakeIdle();
  }

  private wakeIdle(): void {
    const waiting = this.idle;
    this.idle = [];
    for (const resolve of waiting) resolve();
  }

  private answered(reply: ProjectionReply): void {
    if ('failed' in reply) {
      const batch = this.inFlight.get(reply.failed);
      if (batch && batch.attempts < MAX_ATTEMPTS) {
        batch.attempts++;
        setTimeout(
          () => this.worker?.postMessage({ id: reply.failed, lines: batch.lines }),
          100 * batch.attempts,
        );
        return;
      }
      this.log.error({ error: reply.error, lines: batch?.lines.length }, 'projection batch dropped');
    } else {
      this.failures = 0; // a committed batch: this worker works
    }
    this.inFlight.delete('done' in reply ? reply.done : reply.failed);
    if (this.inFlight.size === 0 && this.queued.length === 0) this.wakeIdle();
  }
}
