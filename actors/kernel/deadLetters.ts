/**
 * Dead letters: a command that can never apply (bad subject, unknown kind or type, schema
 * violation, a machine that throws) is published to `moe.dlq.<org>.<ws>` with its code, reason,
 * JSON path and payload, and only then acked — so nothing is lost and the node never stalls on it.
 * If the dead-letter publish itself fails, the command is nak'ed and comes back later. Every letter
 * has `Nats-Msg-Id` `dlq:<MOE_CMD sequence>`, so a command seen twice yields one letter.
 */
import type { JsMsg, JetStreamClient } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { codec, DeadLetter, deadLetterSubject, SchemaError, type MoeError } from '../../schemas/index.js';
import type { Clock } from './clock.js';
import { dispositionOf } from './disposition.js';
import { kernelErrors } from './errors.js';
import { settle, type Refuser } from './settle.js';

const deadLetterCodec = codec(DeadLetter, 'DeadLetter');
const decoder = new TextDecoder();

/** The workspace whose dead-letter subject a command's letter goes to. */
export type LetterDestination = (commandSubject: string) => { readonly org: string; readonly ws: string };

export class DeadLetters implements Refuser {
  constructor(
    private readonly js: JetStreamClient,
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly destination: LetterDestination,
  ) {}

  /** The letter of the command stored at `subject` with `data`. */
  letterOf(subject: string, data: Uint8Array, err: MoeError | SchemaError): DeadLetter {
    return {
      reason: err.message,
      code: err instanceof SchemaError ? kernelErrors.BAD_COMMAND.spec.code : err.code,
      subject,
      at: this.clock.now(),
      payload: decoder.decode(data).slice(0, 64 * 1024),
      ...(err instanceof SchemaError ? { path: err.path } : {}),
    };
  }

  /**
   * Publishes the letter of the command stored at MOE_CMD sequence `seq` (one per stored command,
   * however often it is delivered); throws when it could not be stored.
   */
  async publish(subject: string, seq: number, data: Uint8Array, err: MoeError | SchemaError): Promise<void> {
    const letter = this.letterOf(subject, data, err);
    this.log.warn({ subject, code: letter.code, reason: letter.reason }, 'dead letter');
    const to = this.destination(subject);
    await this.js.publish(deadLetterSubject(to.org, to.ws), deadLetterCodec.encode(letter), {
      msgID: `dlq:${seq}`,
    });
  }

  /** Dead-letters a delivered command and acks it; nak'ed for later when the letter was not stored. */
  async refuse(msg: JsMsg, err: MoeError | SchemaError): Promise<void> {
    try {
      await this.publish(msg.subject, msg.info.streamSequence, msg.data, err);
      await settle(msg, dispositionOf({ step: 'dead-lettered' }), this);
    } catch (e) {
      this.log.error({ err: e }, 'dead letter publish failed; command will be redelivered');
      await settle(msg, dispositionOf({ step: 'letter-unstored', error: e }), this);
    }
  }
}
