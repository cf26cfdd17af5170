/**
 * The one compare-and-set update of a JetStream KV key, for every counter several processes share
 * (the node's provider rate windows and org budgets, the gateway's rate-limit leases). Read the
 * value and its revision, compute the next value, write it only if the revision is still the one
 * read (`kv.update(key, value, revision)`; `kv.create` for a key that does not exist yet). Losing
 * the race ("wrong last sequence") means another process wrote first: read again and recompute.
 * A write is therefore always based on exactly the value it replaces, so a shared limit is never
 * overshot. Values are JSON. Uses nothing newer than nats-server 2.9.
 *
 * Errors stay the caller's to name: a failure to reach KV is thrown as it came, and running out of
 * attempts throws {@link KvCasContended}; each process maps those to its own codes at its edge.
 */
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { systemClock, type Clock } from './clock.js';

export interface KvCasOptions {
  /** reads and writes tried before giving up with {@link KvCasContended}; default 500 */
  readonly maxAttempts?: number;
  readonly random?: () => number;
  /** sleeps the short jittered pause after a lost race */
  readonly clock?: Clock;
}

/** Every attempt lost its race: the key is too contended right now. */
export class KvCasContended extends Error {
  override readonly name = 'KvCasContended';
  constructor(
    readonly key: string,
    readonly attempts: number,
  ) {
    super(`${key}: compare-and-set lost ${attempts} races in a row`);
  }
}

const encoder = new TextEncoder();

/** True when a write lost to another writer (the revision it was based on is gone). */
export function lostRace(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
      err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

/**
 * Applies `next` to the key's current value (undefined when absent or deleted) until the write
 * wins, and returns the value written. `next` may throw to refuse (the error propagates as is), or
 * return `current` itself for "no change": nothing is written then.
 *
 * @example const n = await kvCas<number>(kv, 'org.o1.60000.29000000', (cur) => (cur ?? 0) + 1);
 */
export async function kvCas<T>(
  kv: KV,
  key: string,
  next: (current: T | undefined) => T,
  options: KvCasOptions = {},
): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 500;
  const random = options.random ?? Math.random;
  const clock = options.clock ?? systemClock;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const entry = await kv.get(key);
    const current = entry !== null && entry.operation === 'PUT' ? entry.json<T>() : undefined;
    const value = next(current);
    if (value === current) return value;
    const bytes = encoder.encode(JSON.stringify(value));
    try {
      // A deleted key still has a revision (its delete marker) to compare against.
      if (entry !== null) await kv.update(key, bytes, entry.revision);
      else await kv.create(key, bytes);
      return value;
    } catch (err) {
      if (!lostRace(err)) throw err;
    }
    // Back off a little, more after each lost race, so contenders spread out.
    const ms = Math.min(50, attempt) * random();
    if (ms >= 1) await clock.sleep(ms);
  }
  throw new KvCasContended(key, maxAttempts);
}
