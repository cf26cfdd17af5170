/**
 * Optimistic concurrency on one JetStream KV key: read the value and its revision, compute the
 * next value, write it only if the revision is still the one read (`kv.update(key, value,
 * revision)`; `kv.create` for a key that does not exist yet). Losing the race ("wrong last
 * sequence") means another process wrote first: read again and recompute. This is what lets
 * several nodes share one counter without ever overshooting a limit: a write is based on exactly
 * the value it replaces. Uses nothing newer than nats-server 2.9.
 */
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { isMoeError } from '../../schemas/index.js';
import { errors } from '../errors.js';

export interface CasOptions {
  readonly maxAttempts?: number;
  readonly random?: () => number;
}

const encoder = new TextEncoder();

function lostRace(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
      err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

/**
 * Applies `next` to the key's current value (undefined when absent) until the write wins.
 * `next` may throw (a MoeError) to refuse, or return `current` itself for no change; nothing is
 * written then.
 *
 * @example await casUpdate<Counter>(kv, 'rate.anthropic', (cur) => ({ n: (cur?.n ?? 0) + 1 }));
 */
export async function casUpdate<T>(
  kv: KV,
  key: string,
  next: (current: T | undefined) => T,
  options: CasOptions = {},
): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 500;
  const random = options.random ?? Math.random;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    try {
      const entry = await kv.get(key);
      const current = entry !== null && entry.operation === 'PUT' ? entry.json<T>() : undefined;
      const value = next(current);
      // `next` returning the value it was given means "no change": nothing to write.
      if (value === current) return value;
      const bytes = encoder.encode(JSON.stringify(value));
      // A deleted key still has a revision (its delete marker) to compare against.
      if (entry !== null) await kv.update(key, bytes, entry.revision);
      else await kv.create(key, bytes);
      return value;
    } catch (err) {
      if (isMoeError(err)) throw err;
      if (!lostRace(err)) throw errors.LIMITS_UNAVAILABLE(key, { cause: err });
    }
    // Back off a little, more after each lost race, so contenders spread out.
    const ms = Math.min(50, attempt) * random();
    if (ms >= 1) await new Promise((r) => setTimeout(r, ms));
  }
  throw errors.LIMITS_CONTENDED(`${key} after ${maxAttempts} attempts`);
}
