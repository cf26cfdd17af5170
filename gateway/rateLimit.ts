/**
 * Rate limits shared by every gateway replica, without contention under bursts. The budget of a
 * fixed window (`limit` per `windowMs`, per principal / org / IP) lives in one JetStream KV key per
 * window, counting the tokens handed out cluster-wide. A gateway never races its own requests for
 * that key: each key has a local queue, and at most one lease ({@link leaseTokens}, one
 * compare-and-set) in flight per key and gateway:
 *
 * - a request joins the key's queue; the lease in flight finishes, then the next one asks for as
 *   many tokens as there are requests waiting by then and hands them out, so a burst of N parallel
 *   requests costs a few compare-and-sets, not N racing ones (which is what used to answer 429
 *   "(contended)" to requests within the limit, and made users of one org refuse each other);
 * - when the shared budget grants fewer tokens than asked, the window is spent: this gateway
 *   answers 429 without asking KV again until the window ends.
 *
 * Leases are sized by demand, never prefetched, so every leased token goes to a waiting request at
 * once: no tokens are stranded on one replica while another refuses, and the cluster accepts
 * exactly `limit` requests per window (no overshoot, no slack). Replicas contend only with each
 * other, one lease each at a time. Over the limit → MOE_ERR_RATE_LIMITED (429) with the ms until
 * the window ends. KV keys expire with the bucket TTL.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { KV_BUCKETS } from '../schemas/index.js';
import { errors } from './errors.js';
import { leaseTokens } from './tokenLease.js';

/** @deprecated use KV_BUCKETS.gatewayRateLimit from schemas/subjects.ts */
export const RATE_LIMIT_BUCKET = KV_BUCKETS.gatewayRateLimit;

export interface RateLimitRule {
  /** requests allowed per window */
  readonly limit: number;
  readonly windowMs: number;
}

export interface RateLimiter {
  /** Counts one request for `key` (e.g. `key.k123`, `org.o123`); throws RATE_LIMITED when over. */
  hit(key: string, rule: RateLimitRule, now?: number): Promise<{ remaining: number; resetMs: number }>;
}

interface Waiter {
  resolve(granted: boolean): void;
  reject(err: unknown): void;
}

/** One key's window on this gateway: the requests waiting for a lease, and what is known of the budget. */
interface LocalBucket {
  readonly kvKey: string;
  readonly limit: number;
  readonly endsAt: number;
  /** tokens of the window handed out cluster-wide, as of this gateway's last lease */
  allocated: number;
  spent: boolean;
  leasing: boolean;
  readonly waiting: Waiter[];
}

const SWEEP_EVERY_HITS = 1000;

export async function createRateLimiter(nc: NatsConnection): Promise<RateLimiter> {
  const kv: KV = await new Kvm(nc).create(KV_BUCKETS.gatewayRateLimit, { ttl: 10 * 60_000, history: 1 });
  const buckets = new Map<string, LocalBucket>();
  let hits = 0;

  /** Leases for the waiting requests until none waits or the window is spent. */
  const refill = async (b: LocalBucket): Promise<void> => {
    if (b.leasing) return;
    b.leasing = true;
    try {
      while (b.waiting.length > 0 && !b.spent) {
        const want = b.waiting.length;
        const lease = await leaseTokens(kv, b.kvKey, want, b.limit);
        b.allocated = lease.allocated;
        if (lease.granted < want) b.spent = true;
        // granted ≤ want ≤ waiting: every leased token goes to a request now, none is kept
        for (const w of b.waiting.splice(0, lease.granted)) w.resolve(true);
      }
      for (const w of b.waiting.splice(0)) w.resolve(false);
    } catch (err) {
      for (const w of b.waiting.splice(0)) w.reject(err);
    } finally {
      b.leasing = false;
    }
  };

  const sweep = (now: number) => {
    for (const [id, b] of buckets) if (b.endsAt <= now && !b.leasing) buckets.delete(id);
  };

  return {
    async hit(key, rule, now = Date.now()) {
      if (++hits % SWEEP_EVERY_HITS === 0) sweep(now);
      const window = Math.floor(now / rule.windowMs);
      const endsAt = (window + 1) * rule.windowMs;
      const resetMs = endsAt - now;
      const kvKey = `${key}.${rule.windowMs}.${window}`;
      const id = `${key}.${rule.windowMs}`;
      let b = buckets.get(id);
      if (!b || b.kvKey !== kvKey) {
        b = {
          kvKey,
          limit: rule.limit,
          endsAt,
          allocated: 0,
          spent: false,
          leasing: false,
          waiting: [],
        };
        buckets.set(id, b);
      }
      const bucket = b;
      const granted =
        !bucket.spent &&
        (await new Promise<boolean>((resolve, reject) => {
          bucket.waiting.push({ resolve, reject });
          void refill(bucket);
        }));
      if (!granted) throw errors.RATE_LIMITED(key, { retryAfterMs: resetMs });
      return { remaining: Math.max(0, rule.limit - bucket.allocated), resetMs };
    },
  };
}
