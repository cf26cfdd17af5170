/**
 * One terminal connection: the card's journal (terminalFeed.ts) turned into protocol messages
 * (terminalMessages.ts), each journal-derived message with its cursor (terminalCursor.ts), filtered
 * by level and source, and — in realtime — the live token deltas of the card's running agents.
 *
 * Deltas are subscribed before the replay starts and held until it ends, then sent as they come.
 * A delta of a step whose `agent.replied` was already sent is dropped (the reply's whole text is
 * there), so text never shows twice; a client that reconnects gets the journal's text and the
 * deltas of whatever is still streaming.
 */
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { workspaceLiveFilter, type ActorAddress } from '../../schemas/index.js';
import { subscribeDeltas, type DeltaEvent } from '../liveDeltas.js';
import { formatCursor, type TerminalStart } from './terminalCursor.js';
import { openTerminalFeed } from './terminalFeed.js';
import {
  deltaMessage,
  messagesOfTurn,
  passes,
  type TerminalFilter,
  type TerminalPayload,
} from './terminalMessages.js';
import { RunIndex } from './runIndex.js';

/** What goes over the socket: a protocol message, with a cursor when it comes from the journal. */
export type TerminalFrame = TerminalPayload & { seq?: number; cursor?: string };

/** Deltas held while the replay runs; beyond this the oldest are dropped (previews only). */
const MAX_HELD_DELTAS = 1000;

export interface TerminalOptions {
  readonly card: ActorAddress;
  readonly start: TerminalStart;
  /** false: replay what the journal holds, then end */
  readonly realtime: boolean;
  /** live token deltas (realtime only) */
  readonly deltas: boolean;
  readonly filter: TerminalFilter;
  readonly send: (frame: TerminalFrame) => void;
  readonly now?: () => number;
}

export interface Terminal {
  /** resolves when the replay ended (realtime off) or the terminal was closed */
  readonly done: Promise<void>;
  close(): Promise<void>;
}

const actorKey = (a: { kind: string; id: string }) => `${a.kind}.${a.id}`;

/**
 * @example
 *   const t = await openTerminal({ nc, js, jsm }, { card, start: parseCursor(q.since), realtime: true,
 *     deltas: true, filter: {}, send: (f) => socket.send(JSON.stringify(f)) });
 *   socket.on('close', () => void t.close());
 */
export async function openTerminal(
  bus: { nc: NatsConnection; js: JetStreamClient; jsm: JetStreamManager },
  o: TerminalOptions,
): Promise<Terminal> {
  const runs = new RunIndex(o.card);
  const now = o.now ?? Date.now;
  /** per followed actor: the highest step whose reply the journal already delivered */
  const replied = new Map<string, number>();
  let held: DeltaEvent[] | null = [];

  const forward = (d: DeltaEvent) => {
    const run = runs.runOf(d.actor);
    if (!run) return;
    if (d.step !== undefined && (replied.get(actorKey(d.actor)) ?? -1) >= d.step) return;
    const m = deltaMessage(d, run, now());
    if (passes(m, o.filter)) o.send(m.payload);
  };
  const deltas =
    o.realtime && o.deltas
      ? subscribeDeltas(bus.nc, workspaceLiveFilter(o.card.org, o.card.ws), (d) => {
          if (!held) return forward(d);
          held.push(d);
          if (held.length > MAX_HELD_DELTAS) held.shift();
        })
      : null;

  const feed = await openTerminalFeed(bus, o.card, runs, { afterSeq: o.start.afterSeq, follow: o.realtime });
  const run = async () => {
    let entrySeq = -1;
    let k = 0;
    for await (const item of feed.items()) {
      if ('replayed' in item) {
        const waiting = held ?? [];
        held = null;
        for (const d of waiting) forward(d);
        continue;
      }
      const { seq, rec } = item;
      if (seq !== entrySeq) {
        entrySeq = seq;
        k = 0;
      }
      for (const e of rec.events)
        if (e.type === 'agent.replied' && typeof e.step === 'number') {
          const key = actorKey(rec.actor);
          replied.set(key, Math.max(replied.get(key) ?? -1, e.step));
        }
      for (const m of messagesOfTurn(rec, runs)) {
        k++;
        // a resume inside entry afterSeq + 1 skips what the client already has
        if (seq === o.start.afterSeq + 1 && k <= o.start.skip) continue;
        if (passes(m, o.filter)) o.send({ ...m.payload, seq, cursor: formatCursor(seq, k) });
      }
    }
  };
  const close = async () => {
    deltas?.close();
    await feed.close();
  };
  const done = run().finally(() => void close());
  done.catch(() => undefined); // the caller awaits it, or has gone (socket closed): never unhandled
  return { done, close };
}
