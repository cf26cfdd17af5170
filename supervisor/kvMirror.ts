/**
 * A local copy of a JetStream KV bucket kept current by a KV watch: the last value and revision of
 * every key (deleted keys drop out). Readers get a snapshot without a round trip; the revision lets
 * a writer compare-and-set against what it saw (a stale copy only makes that write fail).
 *
 * Start: the watch (updates only) opens first, then the current values are read; every key keeps the
 * highest revision seen from either, deletes included, so the two cannot undo each other.
 */
import { KvWatchInclude, type KV, type KvEntry } from '@nats-io/kv';
import { kvKeys } from '../actors/kernel/index.js';

/** a failed listing of the bucket (a JetStream API timeout) is tried again, up to this many times */
const LOAD_ATTEMPTS = 3;

export interface MirrorEntry {
  readonly key: string;
  readonly revision: number;
  /** the parsed JSON value (null when it is not JSON) */
  readonly value: unknown;
}

export class KvMirror {
  private readonly entries = new Map<string, MirrorEntry>();
  /** highest revision seen per key, deletes included */
  private readonly seen = new Map<string, number>();
  private iter: Awaited<ReturnType<KV['watch']>> | null = null;
  private loop: Promise<void> | null = null;

  constructor(private readonly kv: KV) {}

  async start(): Promise<void> {
    const iter = await this.kv.watch({ include: KvWatchInclude.UpdatesOnly });
    this.iter = iter;
    this.loop = (async () => {
      for await (const e of iter) this.apply(e);
    })().catch(() => undefined);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.loadAll();
        return;
      } catch (err) {
        if (attempt >= LOAD_ATTEMPTS) throw err;
      }
    }
  }

  /** Reads every current value (one listing of the keys, then each key; kvKeys.ts says why not kv.keys()). */
  private async loadAll(): Promise<void> {
    for (const k of await kvKeys(this.kv)) {
      const e = await this.kv.get(k);
      if (e) this.apply(e);
    }
  }

  get(key: string): MirrorEntry | undefined {
    return this.entries.get(key);
  }

  values(): MirrorEntry[] {
    return [...this.entries.values()];
  }

  async stop(): Promise<void> {
    this.iter?.stop();
    await this.loop;
  }

  private apply(e: KvEntry): void {
    if ((this.seen.get(e.key) ?? 0) >= e.revision) return;
    this.seen.set(e.key, e.revision);
    if (e.operation !== 'PUT') {
      this.entries.delete(e.key);
      return;
    }
    let value: unknown;
    try {
      value = e.json<unknown>();
    } catch {
      value = null;
    }
    this.entries.set(e.key, { key: e.key, revision: e.revision, value });
  }
}
