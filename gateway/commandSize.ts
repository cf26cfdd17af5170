/**
 * The gateway's limits on a command, checked before anything is subscribed or published: the
 * kernel's `encodeCommandEnvelope` (the one command encoder) under the limit of this connection,
 * with its errors mapped to HTTP. An envelope its schema refuses, or a body JSON cannot encode (a
 * 6,000-deep array overflows `JSON.stringify`), is 400 `MOE_ERR_VALIDATION`; an envelope larger
 * than the server's `max_payload` less `COMMAND_HEADROOM_BYTES` (room for the headers JetStream
 * publishes with it), or than the node's intake maximum `MAX_COMMAND_BYTES` (256 KiB, which the
 * node would dead-letter), is 413 `MOE_ERR_PAYLOAD_TOO_LARGE` (docs/api.md, "Limits").
 */
import type { NatsConnection } from '@nats-io/transport-node';
import {
  COMMAND_HEADROOM_BYTES,
  CommandTooLargeError,
  encodeCommandEnvelope,
  maxCommandBytes as maxCommandBytesUnder,
  type EncodedCommand,
} from '../actors/kernel/index.js';
import { SchemaError, type CommandEnvelope } from '../schemas/index.js';
import { errors } from './errors.js';

export { COMMAND_HEADROOM_BYTES };
/** nats-server's default `max_payload`, used until the connection has seen the server's INFO. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/** The largest command envelope the gateway sends: the node's intake maximum, or less if the server's max_payload is smaller. */
export function maxCommandBytes(nc: NatsConnection): number {
  return maxCommandBytesUnder(nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD);
}

/** The envelope checked and encoded; throws a typed 400/413 when it is invalid or cannot fit. */
export function encodeCommand(nc: NatsConnection, env: CommandEnvelope): EncodedCommand {
  try {
    return encodeCommandEnvelope(env, maxCommandBytes(nc));
  } catch (err) {
    if (err instanceof CommandTooLargeError) throw errors.PAYLOAD_TOO_LARGE(err.message, { cause: err });
    if (err instanceof SchemaError) throw errors.VALIDATION(`${env.type}: ${err.message}`, { cause: err });
    throw err;
  }
}
