/**
 * Notices a pull consumer that went silent, however it happened. A consumer (or the server the
 * client was connected to) lost in a cluster leaves the client waiting: nats.js stops its
 * missed-heartbeat monitor on a disconnect and resumes it only after its own reset, which retries
 * `consumer.info` with a backoff as long as the pull's expiry (30 s by default) through an election;
 * a pull request held by a killed consumer leader is never answered. Measured on a 3-server
 * nats-server 2.9.10 cluster (test/cluster/cluster.chaos.test.ts): a node's workspace consumer
 * and a following journal reader each stopped receiving for more than 90 s after one server's
 * kill -9. Here only what the server sends for a pull it holds counts as a sign of life: a
 * message, an idle heartbeat, or a status about the pull (its expiry, a discard). What the client
 * says about itself does not: nats.js reports `heartbeats_missed` every heartbeat interval while it
 * retries on its own, and `next` when it sends a pull the server may never hold; counting those
 * kept a pull lost in a leader election looking alive for good (cluster.chaos: a workspace whose
 * consumer had 45 commands pending and no pull waiting). When none came for `silentMs`, the caller
 * is told to consume again (a new pull; the durable or the reader's cursor keeps the place).
 */
import type { ConsumerMessages, ConsumerNotification } from '@nats-io/jetstream';

/** Idle heartbeat asked of the server for every pull (ms); a pull expires after PULL_EXPIRES_MS. */
export const PULL_HEARTBEAT_MS = 1_000;
export const PULL_EXPIRES_MS = 10_000;
/**
 * How long a follower's pull lives (ms). It is also nats.js's wait between two `consumer.info`
 * tries when it re-pulls after missed heartbeats, and those fail while a consumer elects a new
 * leader: with 10 s a follower on a 3-server cluster got the next message 6–13 s after its
 * consumer's leader was killed (test/cluster/followerPull.test.ts), with 5 s within about 7 s.
 */
export const FOLLOWER_EXPIRES_MS = 5_000;
/**
 * The pull settings of the platform's other followers (the webhook dispatcher and deliverer, the
 * supervisor's dead-letter watch, a node's discovery): with nats.js's defaults (a 30 s expiry, a
 * 15 s heartbeat) a pull lost with its consumer's leader went unnoticed for 30 s and more (42 s in
 * a trial); with these, nats.js misses two heartbeats, and pulls again on the same subscription
 * once the consumer answers again (so a delivery made to the lost pull still arrives).
 */
export const FOLLOWER_PULL = { expires: FOLLOWER_EXPIRES_MS, idle_heartbeat: PULL_HEARTBEAT_MS } as const;
/** silence (no message, heartbeat or status) after which a consumer is taken as lost */
export const SILENT_AFTER_MS = 3 * PULL_HEARTBEAT_MS;

/**
 * Whether a status came from the server about a pull it holds: an idle heartbeat, or a pull's
 * expiry or discard (408/409 with what was left of the batch). nats.js's own notes (`next`,
 * `heartbeats_missed`, `reset`, …) say nothing about the server.
 */
export function fromServer(status: ConsumerNotification): boolean {
  return status.type === 'heartbeat' || status.type === 'discard';
}

export interface Liveness {
  /** a message arrived */
  alive(): void;
  /** stops watching */
  stop(): void;
}

/**
 * Watches `messages` (its status events, and {@link Liveness.alive} for each message) and calls
 * `onSilent` once if nothing was heard for `silentMs` while this process was free to hear it.
 */
export function watchLiveness(
  messages: ConsumerMessages,
  onSilent: (silentMs: number) => void,
  silentMs = SILENT_AFTER_MS,
): Liveness {
  let last = Date.now();
  let stopped = false;
  const everyMs = Math.max(100, silentMs / 3);
  let lastTick = last;
  const timer = setInterval(() => {
    const now = Date.now();
    // A tick that comes late means this process was busy (a blocked event loop): timers run
    // before the sockets are read, so what the server sent meanwhile is still unread. Not silence.
    const late = now - lastTick > 2 * everyMs;
    lastTick = now;
    if (stopped || late || now - last < silentMs) return;
    stop();
    onSilent(now - last);
  }, everyMs);
  timer.unref();
  const stop = () => {
    stopped = true;
    clearInterval(timer);
  };
  void (async () => {
    for await (const s of messages.status()) {
      if (stopped) return;
      if (fromServer(s)) last = Date.now();
    }
  })().catch(() => undefined);
  void messages.closed().finally(stop);
  return {
    alive: () => {
      last = Date.now();
    },
    stop,
  };
}
