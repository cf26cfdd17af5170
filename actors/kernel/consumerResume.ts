/**
 * Taking over a workspace's command consumer without waiting for `ack_wait`. A node killed with
 * kill -9 leaves the commands it had been delivered (and not acked) pending on the durable
 * consumer: JetStream would send them again only after `ack_wait` (30 s by default). The new lease
 * holder is the only reader of the consumer, so whatever is pending when it starts belongs to a
 * previous holder. nats-server 2.9 has no consumer reset, so the consumer is recreated under the
 * same name starting right after its ack floor: the unacked commands are delivered at once.
 *
 * Safe because commands are applied exactly once per actor, whoever delivers them: a command after
 * the floor that was acked out of order (or applied without its ack) is found applied by the
 * kernel's dedupe (sessions.db, or the journal on catch-up) and only acked again.
 */
import type { ConsumerInfo, JetStreamManager } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { STREAMS } from '../../schemas/index.js';
import { addCommandConsumer } from './workspaceConsumer.js';

export interface ResumedConsumer {
  /** commands that were delivered to a previous holder and never acked (delivered again now) */
  readonly inFlight: number;
  /** messages the consumer will deliver from now on that were in the stream at start (the backlog) */
  readonly backlog: number;
  /** whether the consumer was recreated (its delivery numbers start again at 1) */
  readonly recreated: boolean;
}

const PREVIOUS_HOLDER = 'commands delivered to a previous holder and never acked: delivered again now';

/**
 * Recreates consumer `name` from its ack floor when deliveries to a previous holder are pending
 * (or, `why` says, deliveries this holder never received: deliveryCheck.ts); else leaves it as it
 * is. Returns what is pending. Only for the lease holder: a second reader of
 * the consumer would have its deliveries sent again too (harmless for state — dedupe and the
 * journal fence — but wasted work).
 *
 * @example
 *   const { inFlight } = await resumeInFlight(jsm, 'ws-4-acme-main', log);
 */
export async function resumeInFlight(
  jsm: JetStreamManager,
  name: string,
  log: Logger,
  why: { readonly msg: string; readonly [field: string]: unknown } = { msg: PREVIOUS_HOLDER },
): Promise<ResumedConsumer> {
  const info: ConsumerInfo = await jsm.consumers.info(STREAMS.commands, name);
  const inFlight = info.num_ack_pending;
  if (inFlight === 0) return { inFlight: 0, backlog: info.num_pending, recreated: false };
  const { config } = info;
  const filter = config.filter_subject ?? config.filter_subjects?.[0];
  if (filter === undefined) return { inFlight, backlog: info.num_pending, recreated: false };
  const startSeq = info.ack_floor.stream_seq + 1;
  await jsm.consumers.delete(STREAMS.commands, name);
  const fresh = await addCommandConsumer(jsm, {
    name,
    filter,
    startSeq,
    ...(config.ack_wait !== undefined ? { ackWaitMs: Math.round(config.ack_wait / 1e6) } : {}),
    ...(config.max_ack_pending !== undefined ? { maxAckPending: config.max_ack_pending } : {}),
  });
  const { msg, ...fields } = why;
  log.info({ consumer: name, inFlight, fromSeq: startSeq, ...fields }, msg);
  return { inFlight, backlog: fresh.num_pending, recreated: true };
}
