/**
 * Whether a NATS connection is up now: false from a `disconnect` (or `reconnecting`) status until
 * the next `reconnect`, and once closed. The workspace-node's and the supervisor's `/readyz` and
 * `moe_*_nats_connected` read it, and so does the gateway's link (gateway/natsLink.ts, with its 503s).
 */
import type { NatsConnection } from '@nats-io/transport-node';

export interface NatsStatusView {
  /** false while disconnected or once closed */
  readonly up: boolean;
}

/** Follows `nc.status()` until the connection closes. */
export function watchNatsStatus(nc: NatsConnection): NatsStatusView {
  let disconnected = false;
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnecting') disconnected = true;
      else if (s.type === 'reconnect') disconnected = false;
    }
  })().catch(() => undefined);
  return {
    get up() {
      return !disconnected && !nc.isClosed();
    },
  };
}
