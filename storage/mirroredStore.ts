/**
 * Primary + mirror, as seed 000 describes it (GCS primary, R2 mirror).
 *
 * - **Writes** go to the primary first, then the mirror. A copy that fails is reported
 *   (`onEvent` + {@link MirroredStats}), remembered in a small pending list, and copied over later
 *   from the copy that has it: by a backoff timer (the kernel's clock and backoff) or by
 *   {@link MirroredStore.catchUp}. So a mirror outage never fails a backup, and with the primary
 *   down the write completes on the mirror and the primary catches up. Only both failing fails it.
 * - **Reads** try the mirror first (R2 has no egress fees: it is the hot copy) and fall back to
 *   the primary on a miss, an outage or a sha256 mismatch; a key the mirror is known to lack
 *   (pending) is read from the primary directly. A copy found missing or corrupt while the other
 *   is good is queued for repair.
 * - `head` is answered by either copy: an object one copy lacks while the other is down is
 *   absent (a backup then uploads it), whichever copy is down — so a backup never fails on a
 *   one-copy outage, primary or mirror.
 * - `getStream` falls back only when opening fails: a mismatch found at the end of a stream cannot
 *   be undone (use `get` when the fallback matters).
 *
 * - **Catch-up is in order, per copy**: a pending copy lands on a copy only after every copy
 *   recorded before it for that copy has landed. A copy that fails with a retryable error (an
 *   outage) holds back the ones after it until it lands, so a backup's manifest — written last —
 *   reaches a catching-up copy last, after every object it lists: a reader of that copy alone never
 *   sees a manifest whose objects are not there yet. A copy that cannot ever land (its source is
 *   corrupt, the key is refused) holds nothing back; it is retried on its own.
 *
 * Operations on one key run one at a time, so a catch-up copy can never land an older version
 * over a newer write. The pending list lives in memory: after a restart, a full comparison is the
 * backup layer's job (its manifests list every object). `list` merges both listings in memory.
 */
import type { Readable } from 'node:stream';
import {
  backoffDelay,
  retryDelay,
  systemClock,
  type Clock,
  type RetryPolicy,
} from '../actors/kernel/index.js';
import { isMoeError, type MoeError } from '../schemas/index.js';
import { prepareBody } from './body.js';
import { errors } from './errors.js';
import { checkKey } from './keys.js';
import type {
  GetOptions,
  ListEntry,
  ObjectBody,
  ObjectInfo,
  ObjectStore,
  PutOptions,
} from './objectStore.js';

export type Copy = 'primary' | 'mirror';

export type StorageEvent =
  | { readonly type: 'write-failed'; readonly copy: Copy; readonly key: string; readonly error: MoeError }
  | { readonly type: 'delete-failed'; readonly copy: Copy; readonly key: string; readonly error: MoeError }
  | { readonly type: 'read-fallback'; readonly copy: Copy; readonly key: string; readonly error: MoeError }
  | {
      readonly type: 'integrity-mismatch';
      readonly copy: Copy;
      readonly key: string;
      readonly error: MoeError;
    }
  | { readonly type: 'list-failed'; readonly copy: Copy; readonly error: MoeError }
  | { readonly type: 'caught-up'; readonly copy: Copy; readonly key: string }
  | {
      readonly type: 'catch-up-failed';
      readonly copy: Copy;
      readonly key: string;
      readonly error: MoeError;
      readonly attempt: number;
      readonly retryInMs: number;
    };

export interface MirroredStats {
  readonly writeFailures: Readonly<Record<Copy, number>>;
  readonly readFallbacks: number;
  readonly integrityMismatches: number;
  readonly caughtUp: number;
  /** objects one copy still lacks (or still holds, for deletes) */
  readonly pending: number;
}

export interface PendingCopy {
  readonly key: string;
  /** the copy that is behind */
  readonly target: Copy;
  readonly op: 'put' | 'delete';
  readonly attempts: number;
  readonly dueAt: number;
  /** when this copy fell behind on the key (kept across retries): the mirror lag's start */
  readonly since: number;
}

export interface MirroredStoreOptions {
  readonly primary: ObjectStore;
  readonly mirror: ObjectStore;
  readonly onEvent?: (event: StorageEvent) => void;
  readonly clock?: Clock;
  /** catch-up backoff; `maxAttempts` is ignored (a pending copy is retried until it lands) */
  readonly retry?: RetryPolicy;
  readonly random?: () => number;
}

export const CATCH_UP_RETRY: RetryPolicy = { maxAttempts: Infinity, baseDelayMs: 1_000, maxDelayMs: 300_000 };

export class MirroredStore implements ObjectStore {
  readonly url: string;
  private readonly primary: ObjectStore;
  private readonly mirror: ObjectStore;
  private readonly clock: Clock;
  private readonly retry: RetryPolicy;
  private readonly random: () => number;
  private readonly onEvent: (event: StorageEvent) => void;
  private readonly pendingCopies = new Map<string, PendingCopy>();
  /** pending keys whose last copy failed for good (not retryable): they hold no other copy back */
  private readonly unlandable = new Set<string>();
  /** the last operation on each key: writes, deletes and catch-up copies of one key never overlap */
  private readonly keyQueues = new Map<string, Promise<unknown>>();
  private readonly counters = {
    writeFailures: { primary: 0, mirror: 0 },
    readFallbacks: 0,
    integrityMismatches: 0,
    caughtUp: 0,
  };
  private timer: unknown;
  private drains: Promise<void> = Promise.resolve();
  private closed = false;

  /** @example new MirroredStore({ primary: openStore('gs://b/p'), mirror: openStore('s3://b/p?endpoint=…'), onEvent: log }) */
  constructor(options: MirroredStoreOptions) {
    this.primary = options.primary;
    this.mirror = options.mirror;
    this.clock = options.clock ?? systemClock;
    this.retry = options.retry ?? CATCH_UP_RETRY;
    this.random = options.random ?? Math.random;
    this.onEvent = options.onEvent ?? (() => {});
    this.url = `${this.primary.url} + mirror ${this.mirror.url}`;
  }

  async put(
    key: string,
    body: ObjectBody,
    options: PutOptions = {},
  ): Promise<ObjectInfo & { sha256: string }> {
    checkKey(key);
    // A stream is read once (spooled) so that both copies get the same bytes.
    const prepared = await prepareBody(key, body, options.sha256);
    return this.serial(key, async () => {
      const opts = { ...options, sha256: prepared.sha256 };
      const primaryError = await attempt(key, () => this.primary.put(key, prepared.open(), opts));
      const mirrorError = await attempt(key, () => this.mirror.put(key, prepared.open(), opts));
      if (primaryError && mirrorError) throw bothFailed(key, primaryError, mirrorError);
      this.pendingCopies.delete(key);
      this.unlandable.delete(key);
      if (primaryError) this.behind('write-failed', 'primary', key, 'put', primaryError);
      if (mirrorError) this.behind('write-failed', 'mirror', key, 'put', mirrorError);
      return { size: prepared.size, sha256: prepared.sha256, contentType: options.contentType };
    }).finally(() => prepared.dispose());
  }

  async get(key: string, options: GetOptions = {}): Promise<Buffer> {
    return this.read(key, (store) => store.get(key, options));
  }

  async getStream(key: string, options: GetOptions = {}): Promise<Readable> {
    return this.read(key, (store) => store.getStream(key, options));
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    checkKey(key);
    const [first, second] = this.readOrder(key);
    let firstError: MoeError | undefined;
    try {
      const info = await this.store(first).head(key);
      if (info) return info;
    } catch (err) {
      firstError = coded(key, err);
      this.report({ type: 'read-fallback', copy: first, key, error: firstError });
    }
    try {
      return await this.store(second).head(key);
    } catch (err) {
      if (firstError) throw firstError;
      // The first copy answered that it lacks the key and the other is down: absent, as with a
      // mirror outage (a writer then puts it, and the put completes on the copy that is up).
      this.report({ type: 'read-fallback', copy: second, key, error: coded(key, err) });
      return undefined;
    }
  }

  /** The union of both copies' listings (sorted); one copy failing is reported, both fail it. */
  async *list(prefix = ''): AsyncIterable<ListEntry> {
    const merged = new Map<string, ListEntry>();
    const failures: MoeError[] = [];
    for (const copy of ['primary', 'mirror'] as const) {
      try {
        for await (const entry of this.store(copy).list(prefix))
          if (!merged.has(entry.key)) merged.set(entry.key, entry);
      } catch (err) {
        const error = coded(prefix, err);
        failures.push(error);
        this.report({ type: 'list-failed', copy, error });
      }
    }
    if (failures.length === 2) throw failures[0]!;
    for (const p of this.pendingCopies.values())
      if (p.op === 'delete' && p.key.startsWith(prefix)) merged.delete(p.key);
    yield* [...merged.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    return this.serial(key, () => this.deleteNow(key));
  }

  private async deleteNow(key: string): Promise<void> {
    const primaryError = await attempt(key, () => this.primary.delete(key));
    const mirrorError = await attempt(key, () => this.mirror.delete(key));
    if (primaryError && mirrorError) throw bothFailed(key, primaryError, mirrorError);
    this.pendingCopies.delete(key);
    this.unlandable.delete(key);
    if (primaryError) this.behind('delete-failed', 'primary', key, 'delete', primaryError);
    if (mirrorError) this.behind('delete-failed', 'mirror', key, 'delete', mirrorError);
  }

  /** Copies every pending object now (whether or not its backoff is due); resolves when tried. */
  async catchUp(): Promise<void> {
    await this.drain(() => true);
  }

  /** What one copy still lacks (or still holds, for deletes), in the order it was recorded. */
  pending(): readonly PendingCopy[] {
    return [...this.pendingCopies.values()];
  }

  stats(): MirroredStats {
    return {
      writeFailures: { ...this.counters.writeFailures },
      readFallbacks: this.counters.readFallbacks,
      integrityMismatches: this.counters.integrityMismatches,
      caughtUp: this.counters.caughtUp,
      pending: this.pendingCopies.size,
    };
  }

  /** Stops the catch-up timer (pending copies stay listed). */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async read<T>(key: string, op: (store: ObjectStore) => Promise<T>): Promise<T> {
    checkKey(key);
    const [first, second] = this.readOrder(key);
    let firstError: MoeError;
    try {
      return await op(this.store(first));
    } catch (err) {
      firstError = coded(key, err);
    }
    const integrity = firstError.code === errors.INTEGRITY.spec.code;
    if (integrity) this.counters.integrityMismatches++;
    this.report({
      type: integrity ? 'integrity-mismatch' : 'read-fallback',
      copy: first,
      key,
      error: firstError,
    });
    let value: T;
    try {
      value = await op(this.store(second));
    } catch (err) {
      const secondError = coded(key, err);
      // Missing from both is NOT_FOUND; corrupt where not missing is INTEGRITY; an outage on
      // either side means the object may exist: UNAVAILABLE (retryable) wins.
      throw rank(secondError) >= rank(firstError) ? secondError : firstError;
    }
    if ((integrity || firstError.code === errors.NOT_FOUND.spec.code) && !this.pendingCopies.has(key))
      this.enqueue(key, first, 'put', 0);
    return value;
  }

  /** Mirror first, unless the mirror is known to be behind on this key. */
  private readOrder(key: string): [Copy, Copy] {
    return this.pendingCopies.get(key)?.target === 'mirror' ? ['primary', 'mirror'] : ['mirror', 'primary'];
  }

  private store(copy: Copy): ObjectStore {
    return copy === 'primary' ? this.primary : this.mirror;
  }

  private behind(
    type: 'write-failed' | 'delete-failed',
    copy: Copy,
    key: string,
    op: 'put' | 'delete',
    error: MoeError,
  ): void {
    if (type === 'write-failed') this.counters.writeFailures[copy]++;
    this.report({ type, copy, key, error });
    this.enqueue(key, copy, op, 1);
  }

  private enqueue(key: string, target: Copy, op: 'put' | 'delete', attempts: number): void {
    const delay = attempts === 0 ? 0 : backoffDelay(attempts, this.retry, this.random);
    this.unlandable.delete(key);
    const now = this.clock.now();
    const since = this.pendingCopies.get(key)?.since ?? now;
    this.pendingCopies.set(key, { key, target, op, attempts, dueAt: now + delay, since });
    this.schedule();
  }

  /** One timer for the earliest due copy among the first pending copy of each target (in order). */
  private schedule(): void {
    if (this.closed) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pendingCopies.size === 0) return;
    let due = Infinity;
    const seen = new Set<Copy>();
    for (const p of this.pendingCopies.values()) {
      if (seen.has(p.target)) continue;
      due = Math.min(due, p.dueAt);
      if (!this.unlandable.has(p.key)) seen.add(p.target);
    }
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        void this.drain((p) => p.dueAt <= this.clock.now());
      },
      Math.max(0, due - this.clock.now()),
    );
  }

  /**
   * Drains run one after another (chained), so one object is never copied twice at once. Copies
   * land in the order they were recorded, per target: the first one of a target that is not
   * selected (not due yet) or fails retryably holds back the rest of that target's.
   */
  private drain(which: (p: PendingCopy) => boolean): Promise<void> {
    const run = this.drains.then(async () => {
      const heldBack = new Set<Copy>();
      for (const p of [...this.pendingCopies.values()]) {
        if (heldBack.has(p.target)) continue;
        if (!which(p)) {
          if (!this.unlandable.has(p.key)) heldBack.add(p.target);
        } else if (!(await this.serial(p.key, () => this.copyOne(p)))) heldBack.add(p.target);
      }
      this.schedule();
    });
    this.drains = run.catch(() => {});
    return run;
  }

  /** false when the copy failed retryably: the copies after it to the same target wait for it */
  private async copyOne(p: PendingCopy): Promise<boolean> {
    const target = this.store(p.target);
    const source = this.store(p.target === 'primary' ? 'mirror' : 'primary');
    try {
      if (p.op === 'delete') {
        await target.delete(p.key);
      } else {
        const info = await source.head(p.key);
        if (info !== undefined) {
          // Streamed, and checked against the source's sha256 before the target commits it.
          const body = await source.getStream(p.key);
          try {
            await target.put(p.key, body, {
              ...(info.sha256 ? { sha256: info.sha256 } : {}),
              ...(info.contentType ? { contentType: info.contentType } : {}),
            });
          } finally {
            // a target that failed before reading leaves the source's file open until GC otherwise
            body.destroy();
          }
        }
      }
      // A newer write of the same key may have replaced this entry meanwhile: keep that one.
      if (this.pendingCopies.get(p.key) === p) {
        this.pendingCopies.delete(p.key);
        this.unlandable.delete(p.key);
      }
      this.counters.caughtUp++;
      this.report({ type: 'caught-up', copy: p.target, key: p.key });
      return true;
    } catch (err) {
      if (this.pendingCopies.get(p.key) !== p) return true;
      const error = coded(p.key, err);
      const attempts = p.attempts + 1;
      const retryInMs =
        retryDelay(attempts, this.retry, error.retryAfterMs, this.random) ?? this.retry.maxDelayMs;
      this.pendingCopies.set(p.key, { ...p, attempts, dueAt: this.clock.now() + retryInMs });
      this.report({
        type: 'catch-up-failed',
        copy: p.target,
        key: p.key,
        error,
        attempt: attempts,
        retryInMs,
      });
      if (error.retryable) this.unlandable.delete(p.key);
      else this.unlandable.add(p.key);
      return !error.retryable;
    }
  }

  /** Runs `op` after every earlier operation on `key` has settled. */
  private serial<T>(key: string, op: () => Promise<T>): Promise<T> {
    const before = this.keyQueues.get(key) ?? Promise.resolve();
    const run = before.then(op, op);
    const settled = run.catch(() => {});
    this.keyQueues.set(key, settled);
    void settled.then(() => {
      if (this.keyQueues.get(key) === settled) this.keyQueues.delete(key);
    });
    return run;
  }

  private report(event: StorageEvent): void {
    if (event.type === 'read-fallback') this.counters.readFallbacks++;
    try {
      this.onEvent(event);
    } catch {
      // A listener's bug must not turn a good write into a failed one.
    }
  }
}

async function attempt(key: string, op: () => Promise<unknown>): Promise<MoeError | undefined> {
  try {
    await op();
    return undefined;
  } catch (err) {
    return coded(key, err);
  }
}

function coded(key: string, err: unknown): MoeError {
  return isMoeError(err) ? err : errors.UNAVAILABLE(`${key}: ${String(err)}`, { cause: err });
}

function bothFailed(key: string, primary: MoeError, mirror: MoeError): MoeError {
  // A bad key or body fails both copies the same way: say so plainly.
  if (primary.code === mirror.code && !primary.retryable) return primary;
  return errors.UNAVAILABLE(`${key}: primary: ${primary.message}; mirror: ${mirror.message}`, {
    cause: primary,
    details: { primary: primary.code, mirror: mirror.code },
  });
}

function rank(err: MoeError): number {
  if (err.code === errors.NOT_FOUND.spec.code) return 1;
  if (err.code === errors.INTEGRITY.spec.code) return 2;
  return 3;
}
