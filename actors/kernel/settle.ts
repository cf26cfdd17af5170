/**
 * Applies a {@link Disposition} to a delivered command: ack, nak with the retry delay, hand it to
 * the dead letters (stored first, then acked), or leave it for ack_wait. An ack or a nak is done
 * at once; only a dead letter returns a promise.
 */
import type { JsMsg } from '@nats-io/jetstream';
import type { MoeError, SchemaError } from '../../schemas/index.js';
import type { Disposition } from './disposition.js';

/** Where a dead-lettered command goes (DeadLetters). */
export interface Refuser {
  refuse(msg: JsMsg, err: MoeError | SchemaError): Promise<void>;
}

export function settle(msg: JsMsg, d: Disposition, letters: Refuser): Promise<void> | undefined {
  switch (d.action) {
    case 'ack':
      msg.ack();
      return undefined;
    case 'retry':
      try {
        msg.nak(d.delayMs);
      } catch {
        /* connection down: ack_wait delivers it again */
      }
      return undefined;
    case 'dead-letter':
      return letters.refuse(msg, d.error);
    case 'wait':
      return undefined;
  }
}
