/**
 * Rate limits shared by every gateway replica, answered locally on the hot path. The budget of a
 * fixed window (`limit` per `windowMs`, per principal / org / IP) lives in one JetStream KV key per
 * window, counting the tokens handed out cluster-wide; each gateway takes tokens from it in leases
 * ({@link leaseTokens}, one compare-and-set) and hands them to its requests from a local bucket:
 *
 * - while at most half of a window's budget is handed out, a lease also takes a block of tokens
 *   ahead of demand (`min(64, ⌊limit / 16⌋)`), and the bucket leases the next block in the
 *   background when it runs low (half a block left): a request within the limit then costs no NATS
 *   round trip at all;
 * - past half of the budget, leases are sized by demand only, as before: a request joins the key's
 *   queue, at most one lease is in flight per key and gateway, and the next lease asks for as many
 *   tokens as there are requests waiting by then, so a burst of N parallel requests costs a few
 *   compare-and-sets, not N racing ones;
 * - when the shared budget grants fewer tokens than asked, the window is spent: once its local
 *   tokens are used, this gateway answers 429 without asking KV again until the window ends.
 *
 * The cluster never accepts more than `limit` requests per window: every token comes out of the
 * compare-and-set. It can refuse a little early: tokens a replica took ahead and did not use are
 * lost to the others for that window — at most 1.5 blocks per key and replica, taken only in the
 * first half of the budget, and none at all for limits below 16 (blocks of 0: demand-sized leases
 * only, exact). With R replicas a window thus accepts at least `limit − (R − 1) × 1.5 × block`.
 * Over the limit → MOE_ERR_RATE_LIMITED (429) with the ms until the window ends. KV keys expire
 * with the bucket TTL.
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

/** One key's window on this gateway: its local tokens, the requests waiting, what is known of the budget. */
interface LocalBucket {
  readonly kvKey: string;
  readonly limit: number;
  readonly endsAt: number;
  /** tokens taken ahead of demand: leased from KV, not yet handed to a request */
  readonly block: number;
  /** tokens of the window handed out cluster-wide, as of this gateway's last lease */
  allocated: number;
  /** leased tokens not yet handed to a request */
  held: number;
  spent: boolean;
  leasing: boolean;
  readonly waiting: Waiter[];
}

const SWEEP_EVERY_HITS = 1000;
/** the most tokens taken ahead of demand in one lease */
export const MAX_PREFETCH = 64;
/** a block is this fraction of the limit */
const PREFETCH_DIVISOR = 16;

/** The tokens a bucket takes ahead of demand (0 for limits below 16: leases by demand only). */
export function prefetchBlock(limit: number): number {
  return Math.min(MAX_PREFETCH, Math.floor(limit / PREFETCH_DIVISOR));
}

/** Tokens to take ahead of `want`: a block while at most half of the budget is handed out. */
function ahead(b: LocalBucket, want: number): number {
  return b.block > 0 && b.allocated + want + b.block <= b.limit / 2 ? b.block : 0;
}

/** Whether the bucket should lease its next block in the background. */
function runningLow(b: LocalBucket): boolean {
  return !b.spent && b.held <= Math.floor(b.block / 2) && ahead(b, 0) > 0;
}

/** Hands local tokens to the requests waiting, oldest first. */
function serve(b: LocalBucket): void {
  while (b.held > 0 && b.waiting.length > 0) {
    b.held--;
    b.waiting.shift()!.resolve(true);
  }
}

export async function createRateLimiter(nc: NatsConnection): Promise<RateLimiter> {
  const kv: KV = await new Kvm(nc).create(KV_BUCKETS.gatewayRateLimit, { ttl: 10 * 60_000, history: 1 });
  const buckets = new Map<string, LocalBucket>();
  let hits = 0;

  /** Leases for the waiting requests (and a block ahead) until none waits or the window is spent. */
  const refill = async (b: LocalBucket): Promise<void> => {
    if (b.leasing) return;
    b.leasing = true;
    try {
      serve(b);
      while (!b.spent && (b.waiting.length > 0 || runningLow(b))) {
        const want = b.waiting.length;
        const extra = ahead(b, want);
        if (want + extra === 0) break;
        const lease = await leaseTokens(kv, b.kvKey, want + extra, b.limit);
        b.allocated = lease.allocated;
        if (lease.granted < want + extra) b.spent = true;
        b.held += lease.granted;
        serve(b); // requests that arrived during the lease are served too, or lease next round
      }
      // the loop ends with requests waiting only once the window is spent
      serve(b);
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
          block: prefetchBlock(rule.limit),
          allocated: 0,
          held: 0,
          spent: false,
          leasing: false,
          waiting: [],
        };
        buckets.set(id, b);
      }
      const bucket = b;
      let granted: boolean;
      if (bucket.held > 0 && bucket.waiting.length === 0) {
        bucket.held--;
        granted = true;
      } else if (bucket.spent && bucket.held === 0) {
        granted = false;
      } else {
        granted = await new Promise<boolean>((resolve, reject) => {
          bucket.waiting.push({ resolve, reject });
          void refill(bucket);
        });
      }
      if (runningLow(bucket)) void refill(bucket);
      if (!granted) throw errors.RATE_LIMITED(key, { retryAfterMs: resetMs });
      return { remaining: Math.max(0, rule.limit - bucket.allocated + bucket.held), resetMs };
    },
  };
}
