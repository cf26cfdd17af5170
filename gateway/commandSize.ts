/**
 * Encodes a command envelope for MOE_CMD and checks, before anything is subscribed or published,
 * that it can be sent at all: a body JSON cannot encode (a 6,000-deep array overflows
 * `JSON.stringify`) is 400 `MOE_ERR_VALIDATION`, and an envelope larger than the server's
 * `max_payload` less {@link COMMAND_HEADROOM_BYTES} (room for the headers JetStream publishes with
 * it), or than the node's intake maximum `MAX_COMMAND_BYTES` (256 KiB, which the node would
 * dead-letter), is 413 `MOE_ERR_PAYLOAD_TOO_LARGE` (docs/api.md, "Limits").
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { MAX_COMMAND_BYTES, type CommandEnvelope } from '../schemas/index.js';
import { errors } from './errors.js';

/** What the envelope leaves of `max_payload` for the message's headers (Nats-Msg-Id and the like). */
export const COMMAND_HEADROOM_BYTES = 8 * 1024;
/** nats-server's default `max_payload`, used until the connection has seen the server's INFO. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/** The largest command envelope the gateway sends: the node's intake maximum, or less if the server's max_payload is smaller. */
export function maxCommandBytes(nc: NatsConnection): number {
  const max = nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
  return Math.max(0, Math.min(MAX_COMMAND_BYTES, max - COMMAND_HEADROOM_BYTES));
}

/** The envelope as bytes; throws a typed 400/413 when it cannot be encoded or cannot fit. */
export function encodeCommand(nc: NatsConnection, env: CommandEnvelope): Uint8Array {
  let json: string;
  try {
    json = JSON.stringify(env);
  } catch (cause) {
    throw errors.VALIDATION(`${env.type}: the command cannot be encoded as JSON (too deeply nested?)`, {
      cause,
    });
  }
  const bytes = new TextEncoder().encode(json);
  const limit = maxCommandBytes(nc);
  if (bytes.byteLength > limit)
    throw errors.PAYLOAD_TOO_LARGE(
      `${env.type}: the command is ${bytes.byteLength} bytes, the limit is ${limit} bytes`,
    );
  return bytes;
}
