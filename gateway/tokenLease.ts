/**
 * The compare-and-set of the gateway's rate limits: takes up to `want` tokens of one window's
 * shared budget in a single write, through the one KV compare-and-set (actors/kernel/kvCas.ts).
 * The KV key holds how many tokens of the window were handed out cluster-wide; a lease reads it,
 * grants `min(want, limit - count)`, and writes `count + granted` only if the revision is still the
 * one read. Losing the race means another replica leased first: read again. Each gateway has at
 * most one lease in flight per key (see rateLimit.ts), so a lease loses at most once per other
 * replica and round; the bound below is only a backstop.
 */
import type { KV } from '@nats-io/kv';
import { kvCas, KvCasContended } from '../actors/kernel/index.js';
import { errors } from './errors.js';
import { natsUnavailable } from './natsLink.js';

const MAX_ATTEMPTS = 100;

export interface Lease {
  /** tokens granted to this caller (0 when the budget is spent) */
  readonly granted: number;
  /** tokens of the window handed out cluster-wide, this lease included */
  readonly allocated: number;
}

/** @example const { granted } = await leaseTokens(kv, 'user.u1.60000.29000000', 12, 600); */
export async function leaseTokens(kv: KV, key: string, want: number, limit: number): Promise<Lease> {
  let granted = 0;
  try {
    const count = await kvCas<number | undefined>(
      kv,
      key,
      (current) => {
        granted = Math.min(want, Math.max(0, limit - (current ?? 0)));
        return granted === 0 ? current : (current ?? 0) + granted;
      },
      { maxAttempts: MAX_ATTEMPTS },
    );
    return { granted, allocated: count ?? 0 };
  } catch (err) {
    if (err instanceof KvCasContended) throw errors.RATE_LIMITED(`${key} (contended)`, { retryAfterMs: 100 });
    throw natsUnavailable(`rate limit ${key}`, err);
  }
}
