/**
 * Rate limits shared by every gateway replica: a fixed-window counter per principal in a JetStream
 * KV bucket, incremented with compare-and-set (`create` for the first hit of a window, `update` at
 * the revision read), so two replicas never both count the same slot. Keys expire with the bucket
 * TTL. Over the limit → MOE_ERR_RATE_LIMITED (429) with the ms until the window ends.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { KV_BUCKETS } from '../schemas/index.js';
import { errors } from './errors.js';

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

export async function createRateLimiter(nc: NatsConnection): Promise<RateLimiter> {
  const kv: KV = await new Kvm(nc).create(KV_BUCKETS.gatewayRateLimit, { ttl: 10 * 60_000, history: 1 });
  const enc = new TextEncoder();
  const dec = new TextDecoder();

  return {
    async hit(key, rule, now = Date.now()) {
      const window = Math.floor(now / rule.windowMs);
      const resetMs = (window + 1) * rule.windowMs - now;
      const k = `${key}.${rule.windowMs}.${window}`;
      for (let attempt = 0; attempt < 20; attempt++) {
        const entry = await kv.get(k);
        const count = entry && entry.operation === 'PUT' ? Number(dec.decode(entry.value)) || 0 : 0;
        if (count >= rule.limit) throw errors.RATE_LIMITED(key, { retryAfterMs: resetMs });
        try {
          if (entry) await kv.update(k, enc.encode(String(count + 1)), entry.revision);
          else await kv.create(k, enc.encode('1'));
          return { remaining: rule.limit - count - 1, resetMs };
        } catch {
          // another replica won the compare-and-set: read again
        }
      }
      throw errors.RATE_LIMITED(`${key} (contended)`, { retryAfterMs: 100 });
    },
  };
}
