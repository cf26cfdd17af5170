/**
 * Publishes commands into MOE_CMD with `Nats-Msg-Id` = command id (JetStream drops a repeat
 * within the duplicate window; the kernel's applied-id check drops it after). Used for effect
 * results, timer firings and messages between actors; retries until stored or stopped, except
 * what can never be stored: a command over MAX_COMMAND_BYTES (or the server's max_payload) is
 * not retried. An effect result that big is sent as `effect.failed` with MOE_ERR_RESULT_TOO_LARGE
 * instead, so the actor still hears how its effect ended; anything else is dropped with an error log.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import {
  codec,
  CommandEnvelope,
  commandMsgId,
  commandSubject,
  isMaxPayloadError,
  MAX_COMMAND_BYTES,
  addressKey,
  type ActorAddress,
} from '../../schemas/index.js';
import { kernelErrors as errors } from './errors.js';
import type { Clock } from './clock.js';

export const envelopeCodec = codec(CommandEnvelope, 'CommandEnvelope');

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
    return this.publishBytes(to, command, envelopeCodec.encode(command));
  }

  private async publishBytes(to: ActorAddress, command: CommandEnvelope, bytes: Uint8Array): Promise<number> {
    const ack = await this.js.publish(commandSubject(to), bytes, { msgID: commandMsgId(to, command.id) });
    return ack.seq;
  }

  /**
   * Publishes, retrying with backoff (NATS down, JetStream restarting) until stored or stopped.
   * A command too large to store is never retried (see the module comment).
   */
  async publishDurably(to: ActorAddress, command: CommandEnvelope): Promise<void> {
    let bytes = envelopeCodec.encode(command);
    if (bytes.length > MAX_COMMAND_BYTES) {
      const instead = this.tooLarge(to, command, bytes.length);
      if (!instead) return;
      [command, bytes] = [instead, envelopeCodec.encode(instead)];
    }
    for (let attempt = 1; !this.stopped.aborted; attempt++) {
      try {
        await this.publishBytes(to, command, bytes);
        return;
      } catch (err) {
        if (isMaxPayloadError(err)) {
          const instead = this.tooLarge(to, command, bytes.length);
          if (!instead || instead.type === command.type) return;
          [command, bytes] = [instead, envelopeCodec.encode(instead)];
          continue;
        }
        await this.clock
          .sleep(Math.min(5000, 50 * 2 ** Math.min(attempt, 7)), this.stopped)
          .catch(() => undefined);
      }
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
