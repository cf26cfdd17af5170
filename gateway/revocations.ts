/**
 * Revoked user tokens (logout), shared by every gateway replica through the `moe_gateway_revoked`
 * KV bucket (one key per revoked JWT id, expiring with the token lifetime) and answered from
 * memory: each gateway watches the bucket and keeps the revoked ids, so checking a request's token
 * costs no NATS round trip.
 *
 * Bounded staleness, fail closed. A watch can stall without saying so (a consumer lost on the
 * server, a reconnect), so the cache is trusted only while it is known to be fresh: every
 * {@link SYNC_EVERY_MS} each gateway writes a probe key of its own to the bucket and notes when it
 * started the write. The watch delivers the bucket's writes in order, so when the probe comes back
 * through it, every revocation stored before that write began has been applied. The cache answers
 * only while its last returned probe was started at most {@link STALE_AFTER_MS} ago; otherwise each
 * check reads the key from KV (as before there was a cache; a read that fails is a 503, never
 * "not revoked") and the watch is restarted. Hence: a revocation stored at time T is refused by every
 * replica from T + STALE_AFTER_MS on at the latest, and by the replica that stored it at once; in
 * practice everywhere within a few milliseconds (one watch delivery).
 */
import { randomBytes } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV, type KvWatchEntry } from '@nats-io/kv';
import type { FastifyBaseLogger } from 'fastify';
import { KV_BUCKETS } from '../schemas/index.js';
import { natsUnavailable } from './natsLink.js';

/** how often a gateway writes its probe key */
export const SYNC_EVERY_MS = 500;
/** the bound: a cache whose last probe came back longer ago than this is not used */
export const STALE_AFTER_MS = 2000;
/** probe keys (JWT ids are UUIDs, so they never start with this) */
const PROBE_PREFIX = '_probe.';
/** probe writes remembered while their return is awaited */
const MAX_PROBES_IN_FLIGHT = 32;

type Watch = Awaited<ReturnType<KV['watch']>>;

/** A revoked id's token expiry (seconds; 0: unknown, kept until the entry is deleted). */
function expiryOf(e: KvWatchEntry): number {
  const exp = Number(e.string());
  return Number.isFinite(exp) ? exp : 0;
}

export interface Revocations {
  /** the bucket itself */
  readonly kv: KV;
  /** true while the cache is within its staleness bound (checks need no round trip) */
  readonly fresh: boolean;
  /** Whether JWT id `jti` was revoked; throws 503 when that cannot be known. */
  isRevoked(jti: string): Promise<boolean>;
  /** Revokes `jti` (a token expiring at `exp`, seconds) for every replica. */
  revoke(jti: string, exp: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * @example
 *   const revocations = await openRevocations(nc, 12 * 3600, log);
 *   if (await revocations.isRevoked(claims.jti)) throw errors.UNAUTHENTICATED('token revoked');
 */
export async function openRevocations(
  nc: NatsConnection,
  ttlSec: number,
  log: FastifyBaseLogger,
  /** the keys the watch follows (default: all); a test narrows it to get a watch that never catches up */
  watchKeys = '>',
): Promise<Revocations> {
  const kv = await new Kvm(nc).create(KV_BUCKETS.gatewayRevoked, { ttl: ttlSec * 1000, history: 1 });
  const probeKey = `${PROBE_PREFIX}${randomBytes(8).toString('hex')}`;
  /** revoked JWT id → its token's expiry (seconds): past it, jwt.verify refuses the token anyway */
  const revoked = new Map<string, number>();
  /** revoked here: refused at once, whatever the watch says */
  const revokedHere = new Map<string, number>();
  /** probe writes in flight: value → when the write started */
  const probesSent = new Map<string, number>();
  let freshAsOf = -Infinity;
  let watchStartedAt = 0;
  let watch: Watch | undefined;
  let stopped = false;
  let probeNo = 0;

  const apply = (e: KvWatchEntry) => {
    if (e.key.startsWith(PROBE_PREFIX)) {
      if (e.key !== probeKey) return;
      const sentAt = probesSent.get(e.string());
      if (sentAt === undefined) return;
      freshAsOf = Math.max(freshAsOf, sentAt);
      for (const [v, at] of probesSent) if (at <= sentAt) probesSent.delete(v);
    } else if (e.operation === 'PUT') revoked.set(e.key, expiryOf(e));
    else revoked.delete(e.key);
  };

  /** Forgets revocations of tokens that have expired (KV expiry itself is not seen by a watch). */
  const prune = () => {
    const now = Date.now() / 1000;
    for (const ids of [revoked, revokedHere])
      for (const [jti, exp] of ids) if (exp !== 0 && exp < now) ids.delete(jti);
  };

  const startWatch = async () => {
    watch?.stop();
    watchStartedAt = performance.now();
    const w = await kv.watch({ key: watchKeys });
    watch = w;
    void (async () => {
      for await (const e of w) apply(e);
    })().catch((err: unknown) => log.debug({ err }, 'revocation watch ended'));
  };

  const isFresh = () => performance.now() - freshAsOf <= STALE_AFTER_MS;

  const probe = async () => {
    if (stopped) return;
    // a watch that has not returned a probe for too long is replaced (it may have stalled)
    if (!isFresh() && performance.now() - watchStartedAt > STALE_AFTER_MS)
      await startWatch().catch((err: unknown) => log.debug({ err }, 'revocation watch restart failed'));
    if (probeNo % 120 === 0) prune();
    const value = String(++probeNo);
    probesSent.set(value, performance.now());
    if (probesSent.size > MAX_PROBES_IN_FLIGHT) probesSent.delete(probesSent.keys().next().value!);
    await kv.put(probeKey, value).catch(() => probesSent.delete(value));
  };

  await startWatch();
  const timer = setInterval(() => void probe(), SYNC_EVERY_MS);
  timer.unref();
  await probe();
  // start warm: the first probe back through the watch (until then, checks read KV)
  for (const until = performance.now() + STALE_AFTER_MS; !isFresh() && performance.now() < until;)
    await new Promise((r) => setTimeout(r, 5));

  return {
    kv,
    get fresh() {
      return isFresh();
    },
    async isRevoked(jti) {
      if (revokedHere.has(jti)) return true;
      if (isFresh()) return revoked.has(jti);
      // fail closed: a revocation that cannot be checked is not taken as "not revoked"
      const e = await kv.get(jti).catch((cause: unknown) => {
        throw natsUnavailable('revocation check failed', cause);
      });
      return e !== null && e.operation === 'PUT';
    },
    async revoke(jti, exp) {
      await kv.put(jti, new TextEncoder().encode(String(exp)));
      revokedHere.set(jti, exp);
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      watch?.stop();
      await kv.delete(probeKey).catch(() => undefined);
    },
  };
}
