/**
 * The durable pull consumer that feeds one workspace's commands to its kernel: created once per
 * workspace (explicit acks, from the start of MOE_CMD), and consumed with a callback so no promise
 * is made per message. Its window sizes are what let a backlog group into multi-turn entries.
 * Every durable consumer on MOE_CMD (the node's bad-subject ones too) is made by
 * {@link addCommandConsumer} and read by {@link consumeCommands}.
 *
 * Names: a workspace's consumer is `workspaceConsumerName` (`ws-<len(org)>-<org>-<ws>`, unambiguous).
 * Earlier versions named it `ws_<org>_<ws>`, which two workspaces could share. Migration: an
 * old-name consumer whose filter is this workspace's is reused under its old name, so the
 * workspace resumes where it was (a new consumer from the start of MOE_CMD would redeliver every
 * command the stream still holds); only workspaces without one get the new name. An old-name
 * consumer with another workspace's filter is left alone (it is that workspace's). A consumer is
 * never used unless its filter is the workspace's own: otherwise `MOE_ERR_CONSUMER_CONFLICT`.
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
import type { ConsumerInfo } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import {
  legacyWorkspaceConsumerName,
  STREAMS,
  workspaceCommandFilter,
  workspaceConsumerName,
} from '../../schemas/index.js';
import { kernelErrors as errors } from './errors.js';
import { PULL_EXPIRES_MS, PULL_HEARTBEAT_MS, watchLiveness, type Liveness } from './consumerLiveness.js';
import type { Continuity, DeliveryCheck } from './deliveryContinuity.js';
import { isPowerOfTwo } from './repeatLog.js';

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
/**
 * How long a delivered command may stay unacked before JetStream delivers it again (MOE_ACK_WAIT_MS
 * on the node). Long, because a turn may wait for a slow append; a takeover does not wait for it
 * (consumerResume.ts delivers the previous holder's unacked commands again at once).
 */
export const DEFAULT_ACK_WAIT_MS = 30_000;
/** how long past a replaced pull's expiry its deliveries are still looked for (deliveryCheck.ts) */
const AUDIT_MARGIN_MS = 2_000;

export interface WorkspaceConsumerOptions {
  readonly org: string;
  readonly ws: string;
  /** the consumer's name; default: the workspace's (or its old-format one, see above) */
  readonly name?: string;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly log: Logger;
  readonly maxAckPending?: number;
  readonly ackWaitMs?: number;
  readonly pullBatch?: number;
}

function filterOf(ci: ConsumerInfo): string | undefined {
  const many = ci.config.filter_subjects;
  return ci.config.filter_subject ?? (many?.length === 1 ? many[0] : undefined);
}

/** The consumer's info, or `null` when there is none by that name. */
async function consumerInfo(jsm: JetStreamManager, name: string): Promise<ConsumerInfo | null> {
  return jsm.consumers.info(STREAMS.commands, name).catch(() => null);
}

/**
 * Creates the consumer if it is missing and returns its name; an existing one keeps its delivery
 * state (its window is raised) once its filter is checked to be this workspace's.
 */
export async function ensureWorkspaceConsumer(o: WorkspaceConsumerOptions): Promise<string> {
  const filter = workspaceCommandFilter(o.org, o.ws);
  let name = o.name ?? workspaceConsumerName(o.org, o.ws);
  let exists = await consumerInfo(o.jsm, name);
  if (!exists && o.name === undefined) {
    const legacy = legacyWorkspaceConsumerName(o.org, o.ws);
    const old = await consumerInfo(o.jsm, legacy);
    if (old && filterOf(old) === filter) {
      name = legacy;
      exists = old;
    }
  }
  const maxAckPending = o.maxAckPending ?? DEFAULT_MAX_ACK_PENDING;
  const ackWaitMs = o.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
  if (exists) {
    const found = filterOf(exists);
    if (found !== filter)
      throw errors.CONSUMER_CONFLICT(`${name} filters ${found ?? 'several subjects'}, not ${filter}`);
    if (exists.config.max_ack_pending !== maxAckPending || exists.config.ack_wait !== nanos(ackWaitMs))
      await o.jsm.consumers
        .update(STREAMS.commands, name, { max_ack_pending: maxAckPending, ack_wait: nanos(ackWaitMs) })
        .catch((err: unknown) => o.log.warn({ err, consumer: name }, 'max_ack_pending/ack_wait not updated'));
    return name;
  }
  await addCommandConsumer(o.jsm, { name, filter, ackWaitMs, maxAckPending });
  return name;
}

export interface CommandConsumerSpec {
  readonly name: string;
  readonly filter: string;
  /** the first stream sequence delivered; default: the start of the stream */
  readonly startSeq?: number;
  /** server default when absent */
  readonly ackWaitMs?: number;
  /** server default when absent */
  readonly maxAckPending?: number;
}

/** Creates a durable pull consumer on MOE_CMD: explicit acks, from the start of the stream (or `startSeq`). */
export async function addCommandConsumer(
  jsm: JetStreamManager,
  spec: CommandConsumerSpec,
): Promise<ConsumerInfo> {
  return jsm.consumers.add(STREAMS.commands, {
    durable_name: spec.name,
    filter_subject: spec.filter,
    ack_policy: AckPolicy.Explicit,
    ...(spec.startSeq !== undefined
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: spec.startSeq }
      : { deliver_policy: DeliverPolicy.All }),
    ...(spec.ackWaitMs !== undefined ? { ack_wait: nanos(spec.ackWaitMs) } : {}),
    ...(spec.maxAckPending !== undefined ? { max_ack_pending: spec.maxAckPending } : {}),
  });
}

/** What {@link consumeCommands} returns: stop it; `closed` settles when consuming has ended. */
export interface CommandLoop {
  /** Unsubscribes at once: what the server already sent and has not arrived is dropped (ack_wait). */
  stop(): void;
  /**
   * Stops pulling without dropping anything: the pull subscription is drained (unsubscribed, then
   * what the server sent before it saw the unsubscribe is still delivered), and no new pull
   * follows. Resolves when the server has seen the unsubscribe and the last delivery was made.
   */
  drain(): Promise<void>;
}

/** The subscription under a nats.js pull (a private field: nats.js has no public drain for it). */
function pullSubscription(m: ConsumerMessages): { drain(): Promise<void> } | undefined {
  const sub = (m as unknown as { sub?: { drain?: () => Promise<void> } }).sub;
  return typeof sub?.drain === 'function' ? (sub as { drain(): Promise<void> }) : undefined;
}

/**
 * Starts delivering to `onMessage`; `closed` settles (and logs why) when consuming ends. A pull
 * that goes silent (its consumer leader or the client's server lost in a cluster: see
 * consumerLiveness.ts) is replaced by a new one on the same durable consumer, so delivery goes on
 * after a failover within about SILENT_AFTER_MS (3 s) instead of the client's 30 s+ reset. With a
 * `check` (the lease holder, the consumer's only reader: deliveryContinuity.ts), deliveries that did
 * not all arrive end the pull, and the consumer is resynced from its ack floor before the next one;
 * a pull that replaces another has the tail audited.
 */
export async function consumeCommands(
  o: Pick<WorkspaceConsumerOptions, 'js' | 'log' | 'pullBatch'> & {
    readonly name: string;
    readonly check?: DeliveryCheck;
  },
  onMessage: (m: JsMsg) => void,
): Promise<{ messages: CommandLoop; closed: Promise<void> }> {
  const consumer = await o.js.consumers.get(STREAMS.commands, o.name);
  const { check } = o;
  let stopped = false;
  let current: ConsumerMessages | undefined;
  let liveness: Liveness | undefined;
  let ended!: () => void;
  const closed = new Promise<void>((resolve) => (ended = resolve));
  let silences = 0;
  /** how deliveries went missing, once seen: the current pull ends and a resync comes before the next */
  let lost: Continuity | 'tail' | undefined;
  const lose = (how: Continuity | 'tail') => {
    if (stopped || lost) return;
    lost = how;
    current?.stop();
  };
  await check?.begin(lose);
  /** one pull, until it ends (went silent, failed, lost deliveries, or stopped) */
  const pull = async (): Promise<void> => {
    const messages = await consumer.consume({
      max_messages: o.pullBatch ?? DEFAULT_PULL_BATCH,
      expires: PULL_EXPIRES_MS,
      idle_heartbeat: PULL_HEARTBEAT_MS,
      callback: (m) => {
        silences = 0;
        watch.alive();
        if (check && !lost) {
          const how = check.arrived(m.info.deliverySequence);
          if (how !== 'next') lose(how);
        }
        onMessage(m);
      },
    });
    const watch = watchLiveness(messages, (silentMs) => {
      silences++;
      // a line every 3 s per workspace through a long outage would drown the log
      if (isPowerOfTwo(silences))
        o.log.warn({ consumer: o.name, silentMs, silences }, 'command pull went silent; pulling again');
      messages.stop();
    });
    current = messages;
    liveness = watch;
    if (stopped) messages.stop();
    const err = await messages.closed().catch((e: unknown) => e);
    watch.stop();
    if (err && !stopped) o.log.warn({ err, consumer: o.name }, 'command pull ended; pulling again');
  };
  /** pulls again whenever a pull ends, until stopped; a pull that cannot be made is tried each second */
  const pullUntilStopped = async (): Promise<void> => {
    let failures = 0;
    /** a pull ended (not by a resync): the next one replaces it, and what it left behind is audited once */
    let replacing = false;
    while (!stopped) {
      try {
        // the pull it replaces may take a delivery until it expires, on a request nobody reads
        if (replacing) check?.auditSoon(PULL_EXPIRES_MS + AUDIT_MARGIN_MS);
        replacing = false;
        await pull();
        replacing = true;
        failures = 0;
      } catch (err) {
        if (failures++ === 0) o.log.warn({ err, consumer: o.name }, 'command pull not made; trying again');
      }
      if (lost && !stopped) {
        await check?.resync(lost);
        lost = undefined;
        replacing = false;
      }
      if (!stopped) await new Promise((r) => setTimeout(r, failures === 0 ? 100 : 1_000));
    }
  };
  void pullUntilStopped()
    .catch((err: unknown) => o.log.error({ err }, 'command loop ended'))
    .finally(() => {
      check?.stop();
      ended();
    });
  return {
    messages: {
      stop() {
        stopped = true;
        check?.stop();
        liveness?.stop();
        current?.stop();
      },
      async drain() {
        stopped = true;
        check?.stop(); // no resync during a hand-over: the next holder takes over the consumer
        liveness?.stop();
        const sub = current && pullSubscription(current);
        if (sub) await sub.drain().catch(() => undefined);
        current?.stop();
      },
    },
    closed,
  };
}
