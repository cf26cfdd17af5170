/**
 * The main-thread side of a workspace's projections: committed entries' session-log lines are
 * queued, sent to the projection worker once per event-loop turn, and kept until the worker says
 * they are committed. If the worker dies, a new one gets every batch still unanswered (projections
 * are idempotent by (seq, turn), so a batch applied twice is harmless); a batch that fails is sent
 * again a few times before it is logged and dropped (`moe replay`-style rebuilds restore it).
 * A worker that cannot even start (three exits within a second of starting) is given up on: the
 * queue then projects on the main thread, slower but complete.
 */
import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { spawnWorker } from '../actors/kernel/spawnWorker.js';
import { createProjector, lineTurns, type ProjectionDatabases, type Projector } from './projections.js';
import type { ProjectionReply } from './projectionWorker.js';

const MAX_ATTEMPTS = 3;
const MAX_EARLY_EXITS = 3;
const EARLY_EXIT_MS = 1_000;

export class ProjectionQueue {
  private worker: Worker;
  private queued: string[] = [];
  private scheduled = false;
  private nextId = 1;
  private readonly inFlight = new Map<number, { lines: string[]; attempts: number }>();
  private idle: Array<() => void> = [];
  private closing = false;
  private earlyExits = 0;
  /** set when the worker cannot run: projections then run here, on the main thread */
  private inline: Projector | undefined;

  constructor(
    private readonly dbDir: string,
    private readonly dbs: ProjectionDatabases,
    private readonly log: Logger,
  ) {
    this.worker = this.spawn();
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
    this.worker.ref();
    await new Promise<void>((resolve) => this.idle.push(resolve));
    this.worker.unref();
  }

  async close(): Promise<void> {
    await this.flush();
    this.closing = true;
    if (this.inline) return;
    const exited = once(this.worker, 'exit');
    this.worker.postMessage('close');
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
    this.worker.postMessage({ id, lines });
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
    const startedAt = Date.now();
    worker.unref();
    worker.on('message', (reply: ProjectionReply) => this.answered(reply));
    worker.on('error', (err) => this.log.error({ err }, 'projection worker failed'));
    worker.on('exit', () => {
      if (this.closing) return;
      this.earlyExits = Date.now() - startedAt < EARLY_EXIT_MS ? this.earlyExits + 1 : 0;
      if (this.earlyExits >= MAX_EARLY_EXITS) return this.giveUpOnWorker();
      this.log.warn({ batches: this.inFlight.size }, 'projection worker exited; restarting it');
      this.worker = this.spawn();
      if (this.idle.length > 0) this.worker.ref();
      for (const [id, b] of this.inFlight) this.worker.postMessage({ id, lines: b.lines });
    });
    return worker;
  }

  private giveUpOnWorker(): void {
    this.log.error('projection worker cannot start; projecting on the main thread');
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
          () => this.worker.postMessage({ id: reply.failed, lines: batch.lines }),
          100 * batch.attempts,
        );
        return;
      }
      this.log.error({ error: reply.error, lines: batch?.lines.length }, 'projection batch dropped');
    }
    this.inFlight.delete('done' in reply ? reply.done : reply.failed);
    if (this.inFlight.size === 0 && this.queued.length === 0) this.wakeIdle();
  }
}
