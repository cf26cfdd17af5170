/**
 * Group commit of turns to the local cache. Turns that finish their journal append in the same
 * tick are committed together: their JSONL lines are written (one write(2) per session log), then
 * ONE SQLite transaction stores every snapshot + applied command id + effect change, then the
 * batch waits for the JSONL fdatasync. Each turn's promise resolves when its batch is durable.
 *
 * Order inside a batch keeps the invariant "the JSONL log is never behind sessions.db": lines are
 * written before the transaction commits, so a crash can only leave extra lines (replay skips
 * them), never missing ones.
 */
import type { JsonlLog } from './jsonlLog.js';
import type { SessionStore, TurnCommit } from './sessionStore.js';

export interface CommitItem {
  readonly session: string;
  readonly line: string;
  readonly commit: TurnCommit;
}

interface Pending extends CommitItem {
  resolve(): void;
  reject(err: Error): void;
}

export class GroupCommitter {
  private batch: Pending[] = [];
  private scheduled = false;
  batches = 0;
  largestBatch = 0;

  constructor(
    private readonly store: SessionStore,
    private readonly jsonl: JsonlLog,
  ) {}

  commit(item: CommitItem): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.batch.push({ ...item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const items = this.batch;
    this.batch = [];
    if (items.length === 0) return;
    this.batches++;
    this.largestBatch = Math.max(this.largestBatch, items.length);
    const fail = (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      for (const i of items) i.reject(e);
    };
    let synced: Promise<unknown>;
    try {
      const bySession = new Map<string, string[]>();
      for (const i of items) {
        const lines = bySession.get(i.session);
        if (lines) lines.push(i.line);
        else bySession.set(i.session, [i.line]);
      }
      synced = Promise.all(
        [...bySession].map(([session, lines]) => this.jsonl.append(session, lines.join('\n'))),
      );
      this.store.commitMany(items.map((i) => i.commit));
    } catch (err) {
      return fail(err);
    }
    synced.then(() => {
      for (const i of items) i.resolve();
    }, fail);
  }
}
