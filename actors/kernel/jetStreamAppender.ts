/**
 * A lean JetStream publisher for the journal's hot path: one wildcard reply subscription per
 * connection, a map from reply token to the waiting append, one sweep timer for timeouts.
 * `js.publish` builds a request object, a timer and (on every successful request) an Error object
 * per call; at tens of thousands of appends a second that overhead was a measurable share of a
 * turn. The wire protocol is the same: a PUB with headers and a reply subject, answered by a
 * PubAck (`{"stream","seq","duplicate"?}`) or an API error (`{"error":{"code","err_code",…}}`).
 */
import {
  createInbox,
  headers,
  type Msg,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';

export interface AppendAck {
  readonly seq: number;
  readonly duplicate: boolean;
}

/** A JetStream API error answer (e.g. err_code 10071: wrong last subject sequence). */
export class JetStreamPublishError extends Error {
  override readonly name = 'JetStreamPublishError';
  constructor(
    readonly errCode: number,
    readonly status: number,
    description: string,
  ) {
    super(description);
  }
}

interface Waiting {
  resolve(ack: AppendAck): void;
  reject(err: Error): void;
  readonly deadline: number;
}

const decoder = new TextDecoder();

export class JetStreamAppender {
  private readonly prefix = `${createInbox()}.`;
  private readonly sub: Subscription;
  private readonly waiting = new Map<string, Waiting>();
  private readonly sweeper: NodeJS.Timeout;
  private next = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs = 5_000,
  ) {
    this.sub = nc.subscribe(`${this.prefix}*`, { callback: (err, msg) => this.answer(err, msg) });
    this.sweeper = setInterval(() => this.sweep(), Math.min(1_000, timeoutMs));
    this.sweeper.unref();
  }

  /** Publishes `data` to `subject` (a stream subject) and resolves with the stream's PubAck. */
  publish(
    subject: string,
    data: Uint8Array,
    opts: {
      msgID?: string;
      expectedLastSubjectSequence?: number;
      /** extra headers (the W3C trace context of the append, when traced) */
      headers?: Readonly<Record<string, string>>;
    } = {},
  ): Promise<AppendAck> {
    const h = headers();
    if (opts.headers) for (const [k, v] of Object.entries(opts.headers)) h.set(k, v);
    if (opts.msgID !== undefined) h.set('Nats-Msg-Id', opts.msgID);
    if (opts.expectedLastSubjectSequence !== undefined)
      h.set('Nats-Expected-Last-Subject-Sequence', String(opts.expectedLastSubjectSequence));
    const token = (this.next++).toString(36);
    return new Promise<AppendAck>((resolve, reject) => {
      this.waiting.set(token, { resolve, reject, deadline: Date.now() + this.timeoutMs });
      try {
        this.nc.publish(subject, data, { reply: this.prefix + token, headers: h });
      } catch (err) {
        this.waiting.delete(token);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  close(): void {
    clearInterval(this.sweeper);
    this.sub.unsubscribe();
    for (const w of this.waiting.values()) w.reject(new Error('journal appender closed'));
    this.waiting.clear();
  }

  private answer(err: Error | null, msg: Msg): void {
    const token = msg.subject.slice(this.prefix.length);
    const w = this.waiting.get(token);
    if (!w) return; // timed out already
    this.waiting.delete(token);
    if (err) return w.reject(err);
    if (msg.headers?.code === 503)
      return w.reject(new JetStreamPublishError(0, 503, 'no JetStream responders'));
    try {
      const ack = JSON.parse(decoder.decode(msg.data)) as {
        seq?: number;
        duplicate?: boolean;
        error?: { code: number; err_code: number; description: string };
      };
      if (ack.error)
        w.reject(new JetStreamPublishError(ack.error.err_code, ack.error.code, ack.error.description));
      else if (typeof ack.seq !== 'number') w.reject(new Error('malformed PubAck'));
      else w.resolve({ seq: ack.seq, duplicate: ack.duplicate === true });
    } catch (cause) {
      w.reject(new Error('malformed PubAck', { cause }));
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const [token, w] of this.waiting) {
      if (w.deadline > now) continue;
      this.waiting.delete(token);
      w.reject(new Error(`journal append timed out after ${this.timeoutMs} ms`));
    }
  }
}
