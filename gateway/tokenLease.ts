/**
 * The one compare-and-set of the gateway's rate limits: takes up to `want` tokens of one window's
 * shared budget in a single write. The KV key holds how many tokens of the window were handed out
 * cluster-wide; a lease reads it, grants `min(want, limit - count)`, and writes `count + granted`
 * only if the revision is still the one read (`kv.create` for the window's first lease). Losing the
 * race means another replica leased first: read again. Each gateway has at most one lease in flight
 * per key (see rateLimit.ts), so a lease loses at most once per other replica and round; the bound
 * below is only a backstop. Nothing newer than nats-server 2.9.
 *
 * Kept here rather than importing workspace-node/limits/casUpdate.ts: the gateway does not import
 * from the node's folder, and that helper throws the node's error codes.
 */
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { errors } from './errors.js';
import { natsUnavailable } from './natsLink.js';

const MAX_ATTEMPTS = 100;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface Lease {
  /** tokens granted to this caller (0 when the budget is spent) */
  readonly granted: number;
  /** tokens of the window handed out cluster-wide, this lease included */
  readonly allocated: number;
}

function lostRace(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
      err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

/** @example const { granted } = await leaseTokens(kv, 'user.u1.60000.29000000', 12, 600); */
export async function leaseTokens(kv: KV, key: string, want: number, limit: number): Promise<Lease> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    try {
      const entry = await kv.get(key);
      const count = entry?.operation === 'PUT' ? Number(decoder.decode(entry.value)) || 0 : 0;
      const granted = Math.min(want, Math.max(0, limit - count));
      if (granted === 0) return { granted, allocated: count };
      const value = encoder.encode(String(count + granted));
      if (entry) await kv.update(key, value, entry.revision);
      else await kv.create(key, value);
      return { granted, allocated: count + granted };
    } catch (err) {
      if (!lostRace(err)) throw natsUnavailable(`rate limit ${key}`, err);
    }
  }
  throw errors.RATE_LIMITED(`${key} (contended)`, { retryAfterMs: 100 });
}
