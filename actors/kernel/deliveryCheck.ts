/**
 * The lease holder's {@link DeliveryCheck}: keeps the last delivery number of its workspace's
 * command consumer, audits the tail after a NATS reconnect (and when the loop asks, after a pull
 * replaced another: every second or two until the replaced pull would have expired, since the
 * server may still hand it a delivery nobody reads), and resyncs a consumer whose deliveries did
 * not all arrive by recreating it from its ack floor (consumerResume.ts). Why and when:
 * deliveryContinuity.ts.
 *
 * The consumer is recreated only once every delivery this reader was handed is settled and its ack
 * has reached the server: an ack of the old consumer's delivery that arrived after the recreation
 * would be taken by the new consumer of the same name, and nats-server moves the ack floor by the
 * ack's delivery number when that number follows its own floor — past commands still pending, which
 * a later recreation from that floor would skip. For the same reason nothing is recreated while
 * another reader takes deliveries (a node that lost the lease and does not know it yet: its
 * deliveries are what this reader sees missing). When the deliveries do not settle within
 * SETTLE_BOUND_MS, or another reader is seen, nothing is recreated (ack_wait delivers what went
 * missing, as before).
 *
 * Cost: nothing per delivery but a comparison; one consumer info at the start of the loop; after a
 * reconnect, one or two per workspace (spread over a second, so a node hosting many workspaces
 * does not send them all at once); after a pull was replaced (a failover), one every 1–2 s for about
 * 12 s; a resync only when a loss was seen.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection, Status } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { STREAMS } from '../../schemas/index.js';
import { resumeInFlight } from './consumerResume.js';
import { isPowerOfTwo } from './repeatLog.js';
import {
  continuityOf,
  lostAtTail,
  type Continuity,
  type DeliveredView,
  type DeliveryCheck,
} from './deliveryContinuity.js';

/** how long an audit waits for what may still be in transit, before each read of the consumer */
export const AUDIT_AFTER_MS = 1_000;
/** how long a resync waits for the deliveries in hand to be settled */
export const SETTLE_BOUND_MS = 10_000;

export interface DeliveryCheckOptions {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  /** the consumer on MOE_CMD */
  readonly name: string;
  readonly log: Logger;
  /**
   * Resolves true once every delivery this reader was handed is settled (acked, nak'ed, or left for
   * ack_wait), false when that did not happen within `timeoutMs` (the kernel's actors' mailboxes).
   */
  readonly settled: (timeoutMs: number) => Promise<boolean>;
}

export function soleReaderCheck(o: DeliveryCheckOptions): DeliveryCheck {
  let seen: number | undefined;
  let stopped = false;
  let auditing = false;
  /** audits go on until then (epoch ms): auditSoon's window */
  let auditUntil = 0;
  /** resyncs not made in a row */
  let skipped = 0;
  let lost: (how: Continuity | 'tail') => void = () => undefined;
  /** the connection's statuses, from begin() (nats.js's iterator has a stop() that removes its listener) */
  let statuses: (AsyncIterable<Status> & { stop?: () => void }) | undefined;
  let halt!: () => void;
  /** settles when the check is stopped: no wait outlives it */
  const halted = new Promise<void>((resolve) => (halt = resolve));
  /** pending pauses: stop() ends them at once, so nothing waits on a stopped check */
  const pauses = new Map<NodeJS.Timeout, () => void>();
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        pauses.delete(t);
        resolve();
      }, ms);
      t.unref();
      pauses.set(t, resolve);
    });
  const view = async (): Promise<DeliveredView> => {
    const info = await o.jsm.consumers.info(STREAMS.commands, o.name);
    return { delivered: info.delivered.consumer_seq, ackPending: info.num_ack_pending, seen };
  };
  /** AUDIT_AFTER_MS plus up to as much again at random */
  const waitMs = () => AUDIT_AFTER_MS + Math.floor(Math.random() * AUDIT_AFTER_MS);
  /** one look at the tail: true when deliveries went missing there */
  const tailLost = async (): Promise<boolean> => {
    const first = await view();
    if (first.ackPending === 0 || first.delivered === first.seen) return false;
    await pause(waitMs());
    return !stopped && lostAtTail(first, await view());
  };
  /** looks at the tail in a moment, and again until auditUntil (a read that fails is tried again) */
  const audit = async (): Promise<void> => {
    do {
      await pause(waitMs());
      if (stopped) return;
      try {
        if (await tailLost()) return lost('tail');
      } catch (err) {
        o.log.debug({ err, consumer: o.name }, 'delivery audit not made');
      }
    } while (!stopped && Date.now() < auditUntil);
  };
  /**
   * Why the consumer may not be recreated now (undefined: it may). The deliveries in hand must be
   * settled and their acks flushed, and no other reader may be taking deliveries (the count of
   * deliveries stays put while this reader's pull is stopped): the late acks of either would reach
   * the recreated consumer (see the module comment).
   */
  const notNow = async (): Promise<string | undefined> => {
    const settled = await Promise.race([o.settled(SETTLE_BOUND_MS), halted.then(() => false)]);
    if (stopped) return 'the reader stopped';
    if (!settled) return 'the deliveries in hand did not settle';
    await o.nc.flush();
    const before = await view();
    await pause(AUDIT_AFTER_MS);
    if (stopped) return 'the reader stopped';
    const after = await view();
    return after.delivered === before.delivered ? undefined : 'another reader is taking deliveries';
  };
  const check: DeliveryCheck = {
    async begin(onLost) {
      lost = onLost;
      seen = await view().then(
        (v) => v.delivered,
        () => undefined,
      );
      if (stopped) return;
      const mine = o.nc.status() as NonNullable<typeof statuses>;
      statuses = mine;
      void (async () => {
        for await (const s of mine) if (s.type === 'reconnect') check.auditSoon();
      })().catch(() => undefined);
    },
    arrived(dseq) {
      const how = continuityOf(seen, dseq);
      seen = dseq;
      return how;
    },
    auditSoon(forMs = 0) {
      auditUntil = Math.max(auditUntil, Date.now() + forMs);
      if (auditing || stopped) return;
      auditing = true;
      void audit().finally(() => (auditing = false));
    },
    async resync(how) {
      if (stopped) return;
      try {
        const why = await notNow();
        if (why !== undefined) {
          skipped++;
          // another reader may keep this up until it learns it lost the lease: 1, 2, 4, 8, … lines
          if (!stopped && isPowerOfTwo(skipped))
            o.log.warn(
              { consumer: o.name, lost: how, skipped },
              `deliveries went missing but ${why}; ack_wait delivers what went missing`,
            );
          return;
        }
        skipped = 0;
        const resumed = await resumeInFlight(o.jsm, o.name, o.log, {
          msg: 'commands delivered to this node went missing: pending ones delivered again now',
          lost: how,
          lastSeen: seen,
        });
        if (resumed.recreated) seen = 0;
      } catch (err) {
        o.log.warn({ err, consumer: o.name }, 'consumer not resynced; ack_wait delivers what went missing');
      }
    },
    stop() {
      stopped = true;
      halt();
      statuses?.stop?.();
      for (const [t, resolve] of pauses) {
        clearTimeout(t);
        resolve();
      }
      pauses.clear();
    },
  };
  return check;
}
