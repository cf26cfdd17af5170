/**
 * A JetStream publisher for a hot path: the same message and PubAck as `js.publish`, with one
 * long-lived reply subscription for all acks instead of a request (a mux entry, a timer and, in
 * nats.js, an Error built to reject the settled request) per message. Each publish gets the reply
 * subject `<inbox>.<n>`; the ack that comes back on it settles that publish. Outcomes are those of
 * `js.publish`: the PubAck (with `duplicate` for a repeat inside the duplicate window), a
 * `JetStreamApiError` for an API error reply (e.g. 503: the stream's leader is unavailable), a
 * `NoRespondersError` when no stream takes the subject (no JetStream at all), a `TimeoutError`
 * when no reply came within `timeoutMs` (acks are swept every `timeoutMs / 4`), and a
 * `ClosedConnectionError` for the publishes waiting when it is closed. Publishing itself throws as
 * `nc.publish` does (a payload over the server's max_payload, a closed connection).
 *
 * The gateway publishes its commands through it (bus.ts, by way of `publishCommand`). The reply
 * subscription lives on the connection's inbox prefix, so a client confined to its own inboxes
 * (an org credential's `_INBOX_<org>`) may use it too.
 */
import {
  ClosedConnectionError,
  createInbox,
  headers as natsHeaders,
  NoRespondersError,
  TimeoutError,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
} from '@nats-io/transport-node';
import { JetStreamApiError, type PubAck } from '@nats-io/jetstream';

/** What a command publish needs of a JetStream client: `js.publish`, or a {@link StreamPublisher}. */
export interface JetStreamPublish {
  publish(subject: string, payload: Uint8Array, opts: { msgID: string; headers?: MsgHdrs }): Promise<PubAck>;
}

export interface StreamPublisher extends JetStreamPublish {
  /** publishes waiting for their ack */
  readonly pending: number;
  /** Stops the reply subscription; publishes still waiting reject with ClosedConnectionError. */
  close(): void;
}

/** `js.publish`'s default: how long a publish waits for its ack. */
export const PUBLISH_ACK_TIMEOUT_MS = 5_000;

interface Waiting {
  readonly subject: string;
  readonly sentAt: number;
  resolve(ack: PubAck): void;
  reject(err: Error): void;
}

interface AckBody {
  stream?: string;
  seq?: number;
  duplicate?: boolean;
  domain?: string;
  error?: { code: number; err_code?: number; description?: string };
}

const decoder = new TextDecoder();

function outcomeOf(m: Msg, subject: string): PubAck | Error {
  const status = m.headers?.code ?? 0;
  if (status === 503 && m.data.length === 0) return new NoRespondersError(subject);
  let body: AckBody;
  try {
    body = JSON.parse(decoder.decode(m.data)) as AckBody;
  } catch (cause) {
    return new Error(`JetStream answered a publish to ${subject} with a reply that is not JSON`, { cause });
  }
  if (body.error) {
    return new JetStreamApiError({
      code: body.error.code,
      err_code: body.error.err_code ?? 0,
      description: body.error.description ?? `JetStream error ${body.error.code}`,
    });
  }
  if (typeof body.stream !== 'string' || typeof body.seq !== 'number')
    return new Error(`JetStream answered a publish to ${subject} without a stream and sequence`);
  return {
    stream: body.stream,
    seq: body.seq,
    duplicate: body.duplicate === true,
    domain: body.domain ?? '',
  };
}

/**
 * @example
 *   const publisher = streamPublisher(nc);
 *   const ack = await publisher.publish('moe.cmd.o1.w1.agent.a1', bytes, { msgID: 'o1.w1.agent.a1#c1' });
 *   publisher.close();
 */
export function streamPublisher(nc: NatsConnection, timeoutMs = PUBLISH_ACK_TIMEOUT_MS): StreamPublisher {
  // the connection's `inboxPrefix` option (public on the implementation, which uses it for requests)
  const { options } = nc as NatsConnection & { options?: { inboxPrefix?: string } };
  const prefix = createInbox(options?.inboxPrefix);
  const waiting = new Map<number, Waiting>();
  let next = 0;
  const settle = (n: number, outcome: PubAck | Error) => {
    const w = waiting.get(n);
    if (!w) return;
    waiting.delete(n);
    if (outcome instanceof Error) w.reject(outcome);
    else w.resolve(outcome);
  };
  const sub = nc.subscribe(`${prefix}.*`, {
    callback: (err, m) => {
      if (err) return;
      const n = Number(m.subject.slice(prefix.length + 1));
      const w = waiting.get(n);
      if (w) settle(n, outcomeOf(m, w.subject));
    },
  });
  const sweep = setInterval(
    () => {
      const due = Date.now() - timeoutMs;
      for (const [n, w] of waiting) if (w.sentAt <= due) settle(n, new TimeoutError());
    },
    Math.max(10, Math.floor(timeoutMs / 4)),
  );
  sweep.unref();

  return {
    publish(subject, payload, opts) {
      const h = opts.headers ?? natsHeaders();
      h.set('Nats-Msg-Id', opts.msgID);
      const n = ++next;
      const acked = new Promise<PubAck>((resolve, reject) => {
        waiting.set(n, { subject, sentAt: Date.now(), resolve, reject });
      });
      try {
        nc.publish(subject, payload, { reply: `${prefix}.${n}`, headers: h });
      } catch (err) {
        waiting.delete(n);
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      return acked;
    },
    get pending() {
      return waiting.size;
    },
    close() {
      clearInterval(sweep);
      sub.unsubscribe();
      for (const n of [...waiting.keys()]) settle(n, new ClosedConnectionError());
    },
  };
}
