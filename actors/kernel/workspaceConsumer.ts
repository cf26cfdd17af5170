/**
 * The durable pull consumer that feeds one workspace's commands to its kernel: created once per
 * workspace (explicit acks, from the start of MOE_CMD), and consumed with a callback so no promise
 * is made per message. Its window sizes are what let a backlog group into multi-turn entries.
 */
import {
  AckPolicy,
  DeliverPolicy,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { STREAMS, workspaceCommandFilter } from '../../schemas/index.js';

/**
 * Commands in flight per workspace consumer. Deep enough that a backlog fills actors' mailboxes
 * while their appends are in flight (so entries group turns), small enough to hold in memory
 * (~300 B each).
 */
export const DEFAULT_MAX_ACK_PENDING = 16_384;
/**
 * Messages per pull request. Half the in-flight limit: under a backlog an actor's commands are
 * spread over the stream (interleaved with every other actor's), so the deeper the delivered
 * window, the more of them wait in its mailbox for one append (measured: 8,192 gave ~13 turns per
 * entry where 1,024 gave ~10, and a steadier rate).
 */
export const DEFAULT_PULL_BATCH = 8_192;

export interface WorkspaceConsumerOptions {
  readonly org: string;
  readonly ws: string;
  readonly name: string;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly log: Logger;
  readonly maxAckPending?: number;
  readonly ackWaitMs?: number;
  readonly pullBatch?: number;
}

/** Creates the consumer if it is missing; an older one keeps its delivery state, its window is raised. */
export async function ensureWorkspaceConsumer(o: WorkspaceConsumerOptions): Promise<void> {
  const exists = await o.jsm.consumers.info(STREAMS.commands, o.name).catch(() => null);
  const maxAckPending = o.maxAckPending ?? DEFAULT_MAX_ACK_PENDING;
  if (exists) {
    if (exists.config.max_ack_pending !== maxAckPending)
      await o.jsm.consumers
        .update(STREAMS.commands, o.name, { max_ack_pending: maxAckPending })
        .catch((err: unknown) => o.log.warn({ err, consumer: o.name }, 'max_ack_pending not updated'));
    return;
  }
  await o.jsm.consumers.add(STREAMS.commands, {
    durable_name: o.name,
    filter_subject: workspaceCommandFilter(o.org, o.ws),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(o.ackWaitMs ?? 30_000),
    max_ack_pending: maxAckPending,
  });
}

/** Starts delivering to `onMessage`; `closed` settles (and logs why) when consuming ends. */
export async function consumeCommands(
  o: WorkspaceConsumerOptions,
  onMessage: (m: JsMsg) => void,
): Promise<{ messages: ConsumerMessages; closed: Promise<void> }> {
  const consumer = await o.js.consumers.get(STREAMS.commands, o.name);
  const messages = await consumer.consume({
    max_messages: o.pullBatch ?? DEFAULT_PULL_BATCH,
    callback: onMessage,
  });
  const closed = messages
    .closed()
    .then((err) => {
      if (err) o.log.error({ err }, 'command loop ended');
    })
    .catch((err: unknown) => o.log.error({ err }, 'command loop ended'));
  return { messages, closed };
}
