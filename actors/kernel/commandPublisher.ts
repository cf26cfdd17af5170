/**
 * Publishes commands into MOE_CMD with `Nats-Msg-Id` = command id (JetStream drops a repeat
 * within the duplicate window; the kernel's applied-id check drops it after). Used for effect
 * results, timer firings and messages between actors; retries until stored or stopped.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import {
  codec,
  CommandEnvelope,
  commandMsgId,
  commandSubject,
  type ActorAddress,
} from '../../schemas/index.js';
import type { Clock } from './clock.js';

export const envelopeCodec = codec(CommandEnvelope, 'CommandEnvelope');

export class CommandPublisher {
  constructor(
    private readonly js: JetStreamClient,
    private readonly clock: Clock,
    private readonly stopped: AbortSignal,
  ) {}

  /** Publishes once; throws on failure. */
  async publish(to: ActorAddress, command: CommandEnvelope): Promise<number> {
    const ack = await this.js.publish(commandSubject(to), envelopeCodec.encode(command), {
      msgID: commandMsgId(to, command.id),
    });
    return ack.seq;
  }

  /** Publishes, retrying with backoff (NATS down, JetStream restarting) until stored or stopped. */
  async publishDurably(to: ActorAddress, command: CommandEnvelope): Promise<void> {
    for (let attempt = 1; !this.stopped.aborted; attempt++) {
      try {
        await this.publish(to, command);
        return;
      } catch {
        await this.clock
          .sleep(Math.min(5000, 50 * 2 ** Math.min(attempt, 7)), this.stopped)
          .catch(() => undefined);
      }
    }
  }
}
