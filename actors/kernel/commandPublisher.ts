/**
 * The one way to publish a command into MOE_CMD. `encodeCommandEnvelope` checks the envelope
 * against its schema (SchemaError) and its size (CommandTooLargeError) before anything is sent;
 * `publishCommand` publishes it with `Nats-Msg-Id` = `commandMsgId(to, id)` (JetStream drops a
 * repeat within the duplicate window; the kernel's applied-id check drops it after) and any extra
 * headers, through a JetStream client or a `streamPublisher` (streamPublisher.ts: one reply
 * subscription for all acks, which the gateway uses). The gateway, the client and the kernel all
 * go through these two.
 *
 * `CommandPublisher` is the kernel's use of them, for effect results, timer firings and messages
 * between actors: it retries until stored or stopped, except what can never be stored: a command
 * over MAX_COMMAND_BYTES (or the server's max_payload) is not retried. An effect result that big
 * is sent as `effect.failed` with MOE_ERR_RESULT_TOO_LARGE instead, so the actor still hears how
 * its effect ended; anything else (or an envelope its schema refuses) is dropped with an error log.
 */
import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import {
  codec,
  CommandEnvelope,
  commandMsgId,
  commandSubject,
  isMaxPayloadError,
  MAX_COMMAND_BYTES,
  addressKey,
  SchemaError,
  type ActorAddress,
} from '../../schemas/index.js';
import { exponentialDelay } from './backoff.js';
import { kernelErrors as errors } from './errors.js';
import type { Clock } from './clock.js';
import type { JetStreamPublish } from './streamPublisher.js';
import { ATTR, inSpan, otelTrace, SpanKind, traceHeaders, tracingOn } from './tracing.js';

/** while NATS is down: 100 ms doubling to 5 s, without jitter (the schedule this loop always had) */
const PUBLISH_BACKOFF = { baseDelayMs: 100, maxDelayMs: 5_000 };

export const envelopeCodec = codec(CommandEnvelope, 'CommandEnvelope');

/** What a command envelope leaves of the server's `max_payload` for its headers (Nats-Msg-Id and the like). */
export const COMMAND_HEADROOM_BYTES = 8 * 1024;

/** A command envelope larger than the limit it is published under: it can never be sent as it is. */
export class CommandTooLargeError extends Error {
  override readonly name = 'CommandTooLargeError';
  constructor(
    readonly type: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`${type}: the command is ${bytes} bytes, the limit is ${limit} bytes`);
  }
}

/** A command envelope checked and encoded, ready for {@link publishCommand}. */
export interface EncodedCommand {
  readonly id: string;
  readonly type: string;
  readonly bytes: Uint8Array;
}

/**
 * The largest command envelope to publish: the node's intake maximum `MAX_COMMAND_BYTES`, or less
 * when the server's `max_payload` (less {@link COMMAND_HEADROOM_BYTES}) is smaller.
 */
export function maxCommandBytes(maxPayload?: number): number {
  if (maxPayload === undefined) return MAX_COMMAND_BYTES;
  return Math.max(0, Math.min(MAX_COMMAND_BYTES, maxPayload - COMMAND_HEADROOM_BYTES));
}

/**
 * Checks `command` against the CommandEnvelope schema and encodes it; throws SchemaError when the
 * schema refuses it or JSON cannot encode it (a 6,000-deep array overflows `JSON.stringify`), and
 * CommandTooLargeError when it is over `maxBytes`.
 *
 * @example
 *   const cmd = encodeCommandEnvelope({ id: 'c1', type: 'org.create', data: { name: 'acme' } });
 *   await publishCommand(js, { org: 'acme', ws: '_tenancy', kind: 'org', id: 'acme' }, cmd);
 */
export function encodeCommandEnvelope(
  command: CommandEnvelope,
  maxBytes = MAX_COMMAND_BYTES,
): EncodedCommand {
  envelopeCodec.check(command);
  let json: string;
  try {
    json = JSON.stringify(command);
  } catch (cause) {
    throw new SchemaError(
      'CommandEnvelope',
      '',
      'the command cannot be encoded as JSON (too deeply nested?)',
      {
        cause,
      },
    );
  }
  const bytes = new TextEncoder().encode(json);
  if (bytes.byteLength > maxBytes) throw new CommandTooLargeError(command.type, bytes.byteLength, maxBytes);
  return { id: command.id, type: command.type, bytes };
}

/**
 * Publishes a command to `to`'s subject with `Nats-Msg-Id` for dedupe (and `headers`, if any);
 * resolves with JetStream's ack once stored. An envelope not yet encoded is encoded (and checked) here.
 */
export async function publishCommand(
  js: JetStreamPublish,
  to: ActorAddress,
  command: CommandEnvelope | EncodedCommand,
  opts: { headers?: Readonly<Record<string, string>>; maxBytes?: number } = {},
): Promise<PubAck> {
  const encoded = 'bytes' in command ? command : encodeCommandEnvelope(command, opts.maxBytes);
  // Traced: a producer span under the caller's (the gateway request, the effect), whose context
  // rides in the headers to the turn that applies the command. Only inside a trace: a publish with
  // no active span (tracing off, a CLI) makes no span and writes no header.
  if (tracingOn() && otelTrace.getActiveSpan()) return publishTraced(js, to, encoded, opts.headers);
  return publishWith(js, to, encoded, opts.headers);
}

function publishWith(
  js: JetStreamPublish,
  to: ActorAddress,
  encoded: EncodedCommand,
  headers: Readonly<Record<string, string>> | undefined,
): Promise<PubAck> {
  let h;
  if (headers) {
    h = natsHeaders();
    for (const [k, v] of Object.entries(headers)) h.set(k, v);
  }
  return js.publish(commandSubject(to), encoded.bytes, {
    msgID: commandMsgId(to, encoded.id),
    ...(h ? { headers: h } : {}),
  });
}

function publishTraced(
  js: JetStreamPublish,
  to: ActorAddress,
  encoded: EncodedCommand,
  headers: Readonly<Record<string, string>> | undefined,
): Promise<PubAck> {
  const subject = commandSubject(to);
  return inSpan(
    `send ${encoded.type}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'nats',
        'messaging.operation.type': 'send',
        'messaging.destination.name': subject,
        [ATTR.actor]: addressKey(to),
        [ATTR.commandId]: encoded.id,
        [ATTR.commandType]: encoded.type,
      },
    },
    async (span) => {
      const ack = await publishWith(js, to, encoded, { ...headers, ...traceHeaders() });
      span?.setAttribute('messaging.message.id', String(ack.seq));
      if (ack.duplicate) span?.setAttribute('moe.command.duplicate', true);
      return ack;
    },
  );
}

export class CommandPublisher {
  /** commands given up on because they could never be stored */
  refused = 0;

  constructor(
    private readonly js: JetStreamClient,
    private readonly clock: Clock,
    private readonly stopped: AbortSignal,
    private readonly log?: Logger,
  ) {}

  /** Publishes once; throws on failure. */
  async publish(to: ActorAddress, command: CommandEnvelope): Promise<number> {
    return (await publishCommand(this.js, to, command)).seq;
  }

  /**
   * Publishes, retrying with backoff (NATS down, JetStream restarting) until stored or stopped.
   * A command too large to store is never retried (see the module comment).
   */
  async publishDurably(to: ActorAddress, command: CommandEnvelope): Promise<void> {
    let encoded = this.encode(to, command);
    if (!encoded) return;
    for (let attempt = 1; !this.stopped.aborted; attempt++) {
      try {
        await publishCommand(this.js, to, encoded);
        return;
      } catch (err) {
        if (isMaxPayloadError(err)) {
          const instead = this.tooLarge(to, command, encoded.bytes.length);
          if (!instead || instead.type === command.type) return;
          command = instead;
          encoded = this.encode(to, instead);
          if (!encoded) return;
          continue;
        }
        await this.clock
          .sleep(exponentialDelay(attempt, PUBLISH_BACKOFF), this.stopped)
          .catch(() => undefined);
      }
    }
  }

  /** The command as bytes, or what to send instead when it is too large; undefined: nothing can be sent. */
  private encode(to: ActorAddress, command: CommandEnvelope): EncodedCommand | undefined {
    try {
      return encodeCommandEnvelope(command);
    } catch (err) {
      if (err instanceof CommandTooLargeError) {
        const instead = this.tooLarge(to, command, err.bytes);
        return instead ? this.encode(to, instead) : undefined;
      }
      this.refused++;
      this.log?.error(
        { err, actor: addressKey(to), command: command.id, type: command.type },
        'command refused by its schema',
      );
      return undefined;
    }
  }

  /** What to send instead of a command too large to store: `effect.failed` for a result, else nothing. */
  private tooLarge(to: ActorAddress, command: CommandEnvelope, size: number): CommandEnvelope | undefined {
    const err = errors.RESULT_TOO_LARGE(`${command.type} of ${size} bytes`);
    const effectId = command.data?.effectId;
    this.refused++;
    this.log?.error(
      { actor: addressKey(to), command: command.id, type: command.type, bytes: size, code: err.code },
      'command too large to publish',
    );
    if (command.type !== 'effect.result' || typeof effectId !== 'string') return undefined;
    return {
      id: command.id,
      type: 'effect.failed',
      data: { effectId, error: { code: err.code, message: err.message, attempts: 1 } },
    };
  }
}
