/**
 * Cluster-wide rate limits per provider: requests and tokens per fixed minute window, the window
 * being the epoch minute (`floor(now / 60 000)`).
 *
 * One KV key per provider holds `{ minute, requests, tokens }`. A write in a later minute starts
 * from zero, so a window "expires" by being replaced in the same compare-and-set that counts the
 * next request: no per-key TTL (nats-server 2.9 has none) and no trail of dead per-minute keys.
 * Adjustments (settle/release) for a minute that has already been replaced are dropped: that
 * window is over.
 *
 * These functions are pure; `limiter.ts` runs them inside `casUpdate`.
 */
import { errors } from '../errors.js';

export const WINDOW_MS = 60_000;

export interface RateLimit {
  readonly requestsPerMinute?: number;
  readonly tokensPerMinute?: number;
}

export interface RateWindow {
  readonly minute: number;
  readonly requests: number;
  readonly tokens: number;
}

export function epochMinute(now: number): number {
  return Math.floor(now / WINDOW_MS);
}

export function rateKey(provider: string): string {
  return `rate.${provider}`;
}

/** Counts one request of `tokens` (estimated) in `minute`, or throws RATE_LIMIT_EXCEEDED. */
export function reserveRate(
  current: RateWindow | undefined,
  minute: number,
  limit: RateLimit,
  tokens: number,
  now: number,
  provider: string,
): RateWindow {
  const w = current && current.minute === minute ? current : { minute, requests: 0, tokens: 0 };
  const retryAfterMs = (minute + 1) * WINDOW_MS - now;
  const details = { provider, minute, requests: w.requests, tokens: w.tokens, ...limit };
  if (limit.requestsPerMinute !== undefined && w.requests + 1 > limit.requestsPerMinute) {
    throw errors.RATE_LIMIT_EXCEEDED(`${provider}: ${limit.requestsPerMinute} requests/min`, {
      retryAfterMs,
      details,
    });
  }
  // A single call larger than the whole token budget is admitted into an empty window, or it
  // could never run at all.
  if (limit.tokensPerMinute !== undefined && w.requests > 0 && w.tokens + tokens > limit.tokensPerMinute) {
    throw errors.RATE_LIMIT_EXCEEDED(`${provider}: ${limit.tokensPerMinute} tokens/min`, {
      retryAfterMs,
      details,
    });
  }
  return { minute, requests: w.requests + 1, tokens: w.tokens + tokens };
}

/** Applies a correction to a window's counts; a no-op once `minute` is no longer the current window. */
export function adjustRate(
  current: RateWindow | undefined,
  minute: number,
  delta: { requests: number; tokens: number },
): RateWindow | undefined {
  if (!current || current.minute !== minute) return current;
  return {
    minute,
    requests: Math.max(0, current.requests + delta.requests),
    tokens: Math.max(0, current.tokens + delta.tokens),
  };
}
