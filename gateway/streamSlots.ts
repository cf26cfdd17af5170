/**
 * Concurrent live streams (WebSocket and SSE) per principal, per gateway instance: a user or an
 * API key may hold at most `limit` open streams here; one more is refused with 429
 * `MOE_ERR_TOO_MANY_STREAMS` before any consumer is created. Each stream costs an ordered consumer
 * on MOE_EVT and a share of the server's delivery, so an unbounded number of them lets one caller
 * slow every other tenant. A slot is released exactly once, whichever of the stream's ends (socket
 * close, iterator end, failed open) comes first.
 */
import type { Principal } from './access.js';
import { errors } from './errors.js';

/** Default cap on one principal's concurrent streams on one gateway. */
export const DEFAULT_MAX_STREAMS_PER_PRINCIPAL = 16;

export interface StreamSlots {
  /** Takes a slot for `p` or throws 429; call the returned function to give it back (idempotent). */
  acquire(p: Principal): () => void;
  /** Open streams of `p` right now. */
  count(p: Principal): number;
}

const holder = (p: Principal) => (p.kind === 'apikey' ? `key:${p.keyId}` : `user:${p.userId}`);

export function streamSlots(limit: number): StreamSlots {
  const open = new Map<string, number>();
  return {
    acquire(p) {
      const who = holder(p);
      const n = open.get(who) ?? 0;
      if (n >= limit)
        throw errors.TOO_MANY_STREAMS(`${n} streams are open for this caller (limit ${limit})`, {
          retryAfterMs: 5000,
        });
      open.set(who, n + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (open.get(who) ?? 1) - 1;
        if (left <= 0) open.delete(who);
        else open.set(who, left);
      };
    },
    count: (p) => open.get(holder(p)) ?? 0,
  };
}
