/**
 * Which errors say "the bus is not answering right now" rather than "this request is wrong": the
 * NATS client's timeouts, no-responders, disconnected / closed / draining connections, and the
 * JetStream answers a cluster gives while a server is down or a leader is being elected (503
 * "JetStream system temporarily unavailable", "no suitable peers", "cluster can not handle
 * request", "stream is offline", a 408). Such a failure says nothing about the work: the same call
 * succeeds once the bus is back, so callers retry it (with backoff, bounded) and never turn it
 * into a terminal failure. The kernel's effect retry (effects.ts) and the gateway's 503s
 * (gateway/natsLink.ts) both decide by it.
 *
 * A permissions or authorization error is never an outage, even wrapped in a RequestError: the
 * answer will not change by asking again.
 */
import { JetStreamApiError, JetStreamError } from '@nats-io/jetstream';
import {
  AuthorizationError,
  ClosedConnectionError,
  ConnectionError,
  DrainingConnectionError,
  NoRespondersError,
  PermissionViolationError,
  RequestError,
  TimeoutError,
  UserAuthenticationExpiredError,
} from '@nats-io/transport-node';

/**
 * JetStream API error codes of a cluster in transition (nats-server's jetstream_errors): 10005 no
 * suitable peers for placement (a server of the R3 group is down), 10007 cluster not assigned to
 * this server, 10008 JetStream system temporarily unavailable, 10009 cluster can not handle
 * request (no leader), 10118 stream is offline.
 */
const TRANSIENT_API_CODES: ReadonlySet<number> = new Set([10005, 10007, 10008, 10009, 10118]);

/** HTTP-like statuses of JetStream status replies that clear on their own (service unavailable, request timeout). */
const TRANSIENT_STATUS: ReadonlySet<number> = new Set([503, 408]);

/** How deep a chain of `cause`s is followed (a MoeError wrapping a client error wrapping a timeout). */
const MAX_DEPTH = 8;

/**
 * True when `err`, or an error in its `cause` chain, is a NATS/JetStream outage: retry the call.
 *
 * @example
 *   try { await kv.get(key) } catch (err) { if (isNatsOutage(err)) return retryLater(err); throw err; }
 */
export function isNatsOutage(err: unknown): boolean {
  let outage = false;
  for (let e = err, depth = 0; e instanceof Error && depth < MAX_DEPTH; e = e.cause, depth++) {
    if (refusal(e)) return false;
    if (transient(e)) outage = true;
  }
  return outage;
}

function refusal(e: Error): boolean {
  return (
    e instanceof PermissionViolationError ||
    e instanceof AuthorizationError ||
    e instanceof UserAuthenticationExpiredError
  );
}

function transient(e: Error): boolean {
  if (
    e instanceof TimeoutError ||
    e instanceof NoRespondersError ||
    e instanceof ConnectionError ||
    e instanceof ClosedConnectionError ||
    e instanceof DrainingConnectionError ||
    e instanceof RequestError
  )
    return true;
  if (e instanceof JetStreamApiError) return e.status === 503 || TRANSIENT_API_CODES.has(e.code);
  // JetStreamStatusError (a direct get's or a pull's status reply) is a JetStreamError with a numeric code
  if (e instanceof JetStreamError) {
    const code = (e as JetStreamError & { code?: unknown }).code;
    return (
      (typeof code === 'number' && TRANSIENT_STATUS.has(code)) || /temporarily unavailable/i.test(e.message)
    );
  }
  return false;
}
