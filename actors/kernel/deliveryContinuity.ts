/**
 * Whether a workspace's sole reader has received every command its consumer delivered. JetStream
 * numbers each delivery of a consumer (`deliverySequence`, redeliveries included), so the lease
 * holder, the consumer's only reader, must see 1, 2, 3, … A jump means deliveries were lost on the
 * way (in a socket or a client buffer when a server died, or sent to a pull the client had
 * replaced); a step back means the server lost part of the consumer's state (a nats-server killed
 * with kill -9 restarts from its last flush of it). Either way commands may be pending on the
 * consumer that this node does not hold, and JetStream would deliver them again only after
 * `ack_wait` (30 s by default): measured, about one kill-nats run in five or six under load waited
 * that long. The reader then recreates the consumer from its ack floor (consumerResume.ts), as a
 * new lease holder does; what it had already applied is found by the kernel's dedupe.
 *
 * A loss at the tail (the last deliveries before a reconnect, with nothing after them to reveal the
 * jump) is found by an audit after a reconnect or a replaced pull: the consumer's info says the
 * server delivered more than arrived, and stays so while nothing moves. Pure: the reader keeps the
 * numbers and acts on the verdicts.
 */

/** What a delivery's number says about the ones before it. */
export type Continuity = 'next' | 'gap' | 'back';

/**
 * `dseq` against the last delivery number seen (`undefined`: none known yet, so any number is
 * accepted as the start).
 */
export function continuityOf(last: number | undefined, dseq: number): Continuity {
  if (last === undefined || dseq === last + 1) return 'next';
  return dseq > last + 1 ? 'gap' : 'back';
}

/** What the audit reads of the consumer (its info), twice, a moment apart. */
export interface DeliveredView {
  /** the consumer's last delivery number (`delivered.consumer_seq`) */
  readonly delivered: number;
  /** deliveries not acked yet (`num_ack_pending`) */
  readonly ackPending: number;
  /** the last delivery number this reader had seen when the info was read */
  readonly seen: number | undefined;
}

/**
 * Whether deliveries went missing at the tail: the server delivered a number the reader never saw
 * (or fewer than it saw: state lost), some are unacked, and neither side moved between the two
 * reads (a delivery in transit would have arrived; a moving consumer reveals a loss by a jump).
 */
export function lostAtTail(first: DeliveredView, second: DeliveredView): boolean {
  if (first.seen === undefined || second.ackPending === 0) return false;
  return first.delivered !== first.seen && second.delivered === first.delivered && second.seen === first.seen;
}

/**
 * The lease holder's check on its command consumer (deliveryCheck.ts), as the command loop
 * (workspaceConsumer.ts) drives it: every delivery's number goes through {@link arrived}; a loss
 * stops the current pull, {@link resync} runs before the next one.
 */
export interface DeliveryCheck {
  /** reads where the consumer's numbering stands and starts listening for reconnects */
  begin(onLost: (how: Continuity | 'tail') => void): Promise<void>;
  /** a delivery of the current pull arrived */
  arrived(dseq: number): Continuity;
  /**
   * Looks for a loss at the tail in a moment, and again until `forMs` have passed: a pull that was
   * replaced may still be held by the server, and take a delivery nobody reads, until it expires.
   */
  auditSoon(forMs?: number): void;
  /** recreates the consumer from its ack floor if deliveries are pending (numbering restarts) */
  resync(how: Continuity | 'tail'): Promise<void>;
  stop(): void;
}
