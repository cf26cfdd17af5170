/**
 * Per-session JSONL logs (seed 000's append-only session log): one line per journal entry,
 * `{"seq":…,"rec":{…}}`. A line is written (write(2)) before the turn's SQLite commit, so the log
 * is never behind the cache after a process crash; fdatasync is group-committed: every append
 * waits for the next flush, and one flush covers every line written since the previous one.
 *
 * After a crash the log may hold a record twice (written, then re-applied in catch-up); replay
 * skips lines whose seq it has already applied for that actor.
 */
import { closeSync, fdatasync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export class JsonlLog {
  private readonly fds = new Map<string, number>();
  private dirty = new Set<number>();
  private waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private flushing = false;
  private closed = false;

  constructor(
    readonly dir: string,
    private readonly options: {
      fsync?: boolean;
      maxOpenFiles?: number;
      /** called with the time each group fdatasync took (ms): metrics */
      onFsync?: (ms: number) => void;
    } = {},
  ) {
    mkdirSync(dir, { recursive: true });
  }

  pathOf(session: string): string {
    return join(this.dir, `${session}.jsonl`);
  }

  /** Writes the line now; resolves once it is fsynced (group commit). */
  append(session: string, line: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error('jsonl log closed'));
    const fd = this.fdOf(session);
    writeSync(fd, line.endsWith('\n') ? line : `${line}\n`);
    if (this.options.fsync === false) return Promise.resolve();
    this.dirty.add(fd);
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (!this.flushing) this.flush();
    });
  }

  private fdOf(session: string): number {
    let fd = this.fds.get(session);
    if (fd === undefined) {
      if (this.fds.size >= (this.options.maxOpenFiles ?? 256)) this.closeIdle();
      fd = openSync(this.pathOf(session), 'a');
      this.fds.set(session, fd);
    }
    return fd;
  }

  private closeIdle(): void {
    for (const [session, fd] of this.fds) {
      if (this.dirty.has(fd)) continue;
      closeSync(fd);
      this.fds.delete(session);
      if (this.fds.size < (this.options.maxOpenFiles ?? 256) / 2) return;
    }
  }

  private flush(): void {
    this.flushing = true;
    const fds = [...this.dirty];
    const waiters = this.waiters;
    this.dirty = new Set();
    this.waiters = [];
    let left = fds.length;
    let failure: Error | undefined;
    const started = this.options.onFsync ? performance.now() : 0;
    const done = () => {
      if (this.options.onFsync && fds.length > 0) this.options.onFsync(performance.now() - started);
      for (const w of waiters) {
        if (failure) w.reject(failure);
        else w.resolve();
      }
      this.flushing = false;
      if (this.waiters.length) this.flush();
    };
    if (left === 0) return done();
    for (const fd of fds) {
      fdatasync(fd, (err) => {
        if (err) failure = err;
        if (--left === 0) done();
      });
    }
  }

  async close(): Promise<void> {
    while (this.flushing || this.waiters.length) await new Promise((r) => setTimeout(r, 1));
    this.closed = true;
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}
