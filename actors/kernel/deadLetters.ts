/**
 * Dead letters: a command that can never apply (bad subject, unknown kind or type, schema
 * violation, a machine that throws) is published to `moe.dlq.<org>.<ws>` with its code, reason,
 * JSON path and payload, and only then acked — so nothing is lost and the node never stalls on it.
 * If the dead-letter publish itself fails, the command is nak'ed and comes back later.
 */
import type { JsMsg, JetStreamClient } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { codec, DeadLetter, deadLetterSubject, SchemaError, type MoeError } from '../../schemas/index.js';
import { kernelErrors } from './errors.js';

const deadLetterCodec = codec(DeadLetter, 'DeadLetter');
const decoder = new TextDecoder();

export function deadLetterOf(msg: JsMsg, err: MoeError | SchemaError, at: number): DeadLetter {
  return {
    reason: err.message,
    code: err instanceof SchemaError ? kernelErrors.BAD_COMMAND.spec.code : err.code,
    subject: msg.subject,
    at,
    payload: decoder.decode(msg.data).slice(0, 64 * 1024),
    ...(err instanceof SchemaError ? { path: err.path } : {}),
  };
}

/** Publishes a dead letter for `msg` (one per stored command); throws when it could not be stored. */
export async function publishDeadLetter(
  js: JetStreamClient,
  log: Logger,
  workspace: { org: string; ws: string },
  msg: JsMsg,
  letter: DeadLetter,
): Promise<void> {
  log.warn({ subject: msg.subject, code: letter.code, reason: letter.reason }, 'dead letter');
  await js.publish(deadLetterSubject(workspace.org, workspace.ws), deadLetterCodec.encode(letter), {
    // One dead letter per stored command, however often it is delivered.
    msgID: `dlq:${msg.info.streamSequence}`,
  });
}

export async function sendToDeadLetters(
  js: JetStreamClient,
  log: Logger,
  workspace: { org: string; ws: string },
  msg: JsMsg,
  letter: DeadLetter,
): Promise<void> {
  try {
    await publishDeadLetter(js, log, workspace, msg, letter);
    msg.ack();
  } catch (err) {
    log.error({ err }, 'dead letter publish failed; command will be redelivered');
    msg.nak(2000);
  }
}
