/**
 * One follower that tells every request of this gateway when its command was accepted, instead of
 * a journal consumer (and a last-record read, and a flush) per request. It is started once, with
 * the gateway: a following {@link JournalReader} on all of MOE_EVT from the moment it opened, and
 * one core subscription on every workspace's dead-letter subject. A request registers the command
 * id it is about to publish ({@link Acceptance.expect}), then publishes: the turn that applies it is
 * stored after the registration, so the follower, which reads every entry appended since it opened
 * in order and resumes after the last one it read when its consumer is lost, cannot miss it. A
 * dead letter for the command (the kernel refused it) settles the wait at once.
 *
 * What it costs: the follower receives every journal entry of the cluster, but decodes only those
 * on the subject of an actor a request is waiting on (the others are passed over by subject); a
 * wait is two map entries. Waits for a command applied before
 * the request (an Idempotency-Key retry) cannot be answered here: bus.ts reads those from the
 * actor's journal.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { FastifyBaseLogger } from 'fastify';
import { JournalReader } from '../actors/kernel/index.js';
import {
  addressKey,
  codec,
  commandSubject,
  DeadLetter,
  eventSubject,
  type ActorAddress,
  type JournalRecord,
} from '../schemas/index.js';

const deadLetterCodec = codec(DeadLetter, 'DeadLetter');

/** every journal entry, and every dead letter */
const ALL_EVENTS = 'moe.evt.>';
const ALL_DEAD_LETTERS = 'moe.dlq.>';

/** How a command's wait ended: its turn, or its dead letter. */
export type Accepted =
  { readonly seq: number; readonly rec: JournalRecord } | { readonly deadLetter: DeadLetter };

export interface PendingAcceptance {
  /** settles with the command's turn or dead letter; never rejects */
  readonly outcome: Promise<Accepted>;
  /** stops waiting (always call it: after the outcome, a timeout or a failed publish) */
  cancel(): void;
}

export interface Acceptance {
  /** Waits for command `id` to actor `addr`: call before publishing it. */
  expect(addr: ActorAddress, id: string): PendingAcceptance;
  /** open commands being waited for */
  readonly waiting: number;
  stop(): Promise<void>;
}

interface Waiter {
  readonly actor: string;
  readonly subject: string;
  settle(a: Accepted): void;
}

/** The command id and subject of a dead letter's original envelope, if it is one. */
function deadLetterOf(payload: Uint8Array): { id: string; letter: DeadLetter } | null {
  try {
    const letter = deadLetterCodec.decode(payload);
    const env = JSON.parse(letter.payload) as { id?: unknown };
    return typeof env.id === 'string' ? { id: env.id, letter } : null;
  } catch {
    return null;
  }
}

/**
 * @example
 *   const acceptance = await startAcceptance(nc, js, log);
 *   const pending = acceptance.expect(addr, cmdId);
 *   await publishCommand(js, addr, command);
 *   const outcome = await pending.outcome; // then pending.cancel()
 */
export async function startAcceptance(
  nc: NatsConnection,
  js: JetStreamClient,
  log: FastifyBaseLogger,
): Promise<Acceptance> {
  const waiters = new Map<string, Waiter>();
  /** how many waits each actor's journal subject has: entries on other subjects are not decoded */
  const watched = new Map<string, number>();
  const unwatch = (subject: string) => {
    const n = (watched.get(subject) ?? 0) - 1;
    if (n > 0) watched.set(subject, n);
    else watched.delete(subject);
  };

  const reader = new JournalReader(js, {
    filter: ALL_EVENTS,
    start: { from: 'now' },
    follow: true,
    skip: (subject) => !watched.has(subject),
    onUnreadable: (err, seq) => log.warn({ err, seq }, 'acceptance follower skipped an unreadable entry'),
    onRetry: (err) => log.debug({ err }, 'acceptance follower lost its consumer; resuming'),
  });
  await reader.open();
  void (async () => {
    for await (const { seq, rec } of reader.turns()) {
      const w = waiters.get(rec.cmd.id);
      if (w && w.actor === addressKey(rec.actor)) w.settle({ seq, rec });
    }
  })().catch((err: unknown) => log.error({ err }, 'acceptance follower stopped'));

  const dlq = nc.subscribe(ALL_DEAD_LETTERS, {
    callback: (err, m) => {
      if (err || waiters.size === 0) return;
      const dead = deadLetterOf(m.data);
      const w = dead ? waiters.get(dead.id) : undefined;
      if (dead && w && w.subject === dead.letter.subject) w.settle({ deadLetter: dead.letter });
    },
  });

  return {
    expect(addr, id) {
      let settle!: (a: Accepted) => void;
      const outcome = new Promise<Accepted>((resolve) => (settle = resolve));
      const waiter: Waiter = { actor: addressKey(addr), subject: commandSubject(addr), settle };
      const journal = eventSubject(addr);
      waiters.set(id, waiter);
      watched.set(journal, (watched.get(journal) ?? 0) + 1);
      let cancelled = false;
      return {
        outcome,
        cancel: () => {
          if (cancelled) return;
          cancelled = true;
          unwatch(journal);
          if (waiters.get(id) === waiter) waiters.delete(id);
        },
      };
    },
    get waiting() {
      return waiters.size;
    },
    async stop() {
      dlq.unsubscribe();
      await reader.close();
    },
  };
}
