/**
 * The one decision of what becomes of a delivered command: ack it, retry it (nak with a delay, so
 * JetStream delivers it again), dead-letter it, or leave it for ack_wait to deliver again. Pure: it
 * reads only what happened to the command; settle.ts and DeadLetters apply the answer.
 *
 * The rule: a failed turn is dead-lettered when its error is a MoeError that is not `retryable`,
 * and retried otherwise — a retryable MoeError, or any other error (NATS timeouts, disconnects, a
 * journal that did not read) — the way Restate splits TerminalError from RetryableError. A command
 * refused at intake failed on its own bytes (subject, kind, size, type, schema), which never
 * change: always dead-lettered. A dead letter that could not be stored is retried, since nothing
 * may be lost. An applied command, or one whose dead letter is stored, is acked.
 */
import { isMoeError, SchemaError, type MoeError } from '../../schemas/index.js';
import { kernelErrors } from './errors.js';

/** redelivery delay of a command whose turn failed transiently (ms) */
export const RETRY_NAK_MS = 1000;
/** redelivery delay of a command held back behind an earlier command of its actor (ms) */
export const HELD_NAK_MS = 250;
/** redelivery delay of a command parked by a workspace handed over to another node (ms): at once */
export const HANDOVER_NAK_MS = 0;
/** redelivery delay of a command whose dead letter could not be stored (ms) */
export const UNSTORED_LETTER_NAK_MS = 2000;

/** What happened to a delivered command. */
export type CommandFate =
  /** its turn is durable (or it was already applied) */
  | { readonly step: 'applied' }
  /** its dead letter is stored */
  | { readonly step: 'dead-lettered' }
  /** refused before its turn: bad subject, kind, size or type, schema violation, undecodable bytes */
  | { readonly step: 'intake'; readonly error: unknown }
  /** its turn failed: the machine threw, the turn did not fit, the append or the commit failed */
  | { readonly step: 'turn'; readonly error: unknown }
  /** an earlier command of its actor is being retried: it waits for that one */
  | { readonly step: 'held' }
  /** the workspace is being handed over (drain, rebalance): the next host takes it */
  | { readonly step: 'handed-over' }
  /** publishing its dead letter failed */
  | { readonly step: 'letter-unstored'; readonly error: unknown }
  /** its actor could not be activated (the cache could not be read) */
  | { readonly step: 'activation-failed'; readonly error: unknown };

export type Disposition =
  | { readonly action: 'ack' }
  | { readonly action: 'retry'; readonly delayMs: number }
  | { readonly action: 'dead-letter'; readonly error: MoeError | SchemaError }
  /** neither ack nor nak: ack_wait delivers it again */
  | { readonly action: 'wait' };

const ACK: Disposition = { action: 'ack' };
const WAIT: Disposition = { action: 'wait' };
const RETRY: Disposition = { action: 'retry', delayMs: RETRY_NAK_MS };
const HELD: Disposition = { action: 'retry', delayMs: HELD_NAK_MS };
const HANDED_OVER: Disposition = { action: 'retry', delayMs: HANDOVER_NAK_MS };
const UNSTORED: Disposition = { action: 'retry', delayMs: UNSTORED_LETTER_NAK_MS };

export function dispositionOf(fate: CommandFate): Disposition {
  switch (fate.step) {
    case 'applied':
    case 'dead-lettered':
      return ACK;
    case 'held':
      return HELD;
    case 'handed-over':
      return HANDED_OVER;
    case 'letter-unstored':
      return UNSTORED;
    case 'activation-failed':
      return WAIT;
    case 'intake':
      return { action: 'dead-letter', error: terminal(fate.error) };
    case 'turn':
      return isMoeError(fate.error) && !fate.error.retryable
        ? { action: 'dead-letter', error: fate.error }
        : RETRY;
  }
}

/** The error a refused command's dead letter carries: its own, or BAD_COMMAND for bytes that did not decode. */
function terminal(err: unknown): MoeError | SchemaError {
  if (err instanceof SchemaError || isMoeError(err)) return err;
  return kernelErrors.BAD_COMMAND(String(err));
}
