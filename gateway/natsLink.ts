/**
 * The gateway's view of its NATS connection: up, reconnecting (an outage, the client retries
 * forever) or closed (given up; only a restart helps). Routes fail fast with 503
 * `MOE_ERR_NATS_UNAVAILABLE` and a `retry-after` while the link is down instead of waiting on a
 * request that cannot be answered, `/healthz` turns 503 once the connection is closed so an
 * orchestrator restarts the process, and errors thrown by the NATS client are reported as the same
 * retryable 503 rather than a 500.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { watchNatsStatus } from '../actors/kernel/index.js';
import type { MoeError } from '../schemas/index.js';
import { errors } from './errors.js';

/** What a client should wait before retrying while NATS is unreachable. */
export const NATS_RETRY_AFTER_MS = 2000;

export interface NatsLink {
  /** false while disconnected or once closed */
  readonly up: boolean;
  readonly closed: boolean;
  /** Throws 503 `MOE_ERR_NATS_UNAVAILABLE` when the link is down. */
  assertUp(what: string): void;
}

/** A retryable 503 with a retry-after hint. */
export function natsUnavailable(detail: string, cause?: unknown): MoeError {
  return errors.NATS_UNAVAILABLE(detail, {
    retryAfterMs: NATS_RETRY_AFTER_MS,
    ...(cause !== undefined ? { cause } : {}),
  });
}

/** The kernel's watch of `nc.status()` ({@link watchNatsStatus}), with the gateway's 503s. */
export function watchNatsLink(nc: NatsConnection): NatsLink {
  const status = watchNatsStatus(nc);
  return {
    get up() {
      return status.up;
    },
    get closed() {
      return nc.isClosed();
    },
    assertUp(what) {
      if (nc.isClosed()) throw natsUnavailable(`${what}: the NATS connection is closed`);
      if (!status.up) throw natsUnavailable(`${what}: NATS is reconnecting`);
    },
  };
}

/**
 * True for errors the NATS client throws when the server cannot be reached or does not answer, and
 * JetStream's "temporarily unavailable" answers: the kernel's one classification (natsOutage.ts).
 */
export { isNatsOutage } from '../actors/kernel/index.js';
