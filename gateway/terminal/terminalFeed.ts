/**
 * The journal turns a card terminal shows, in MOE_EVT order: the card's own turns and the turns of
 * every actor its `run.started` events name (runIndex.ts). Two phases, so neither reads more than
 * it needs:
 *
 * 1. **Replay** up to H, the stream's last sequence when the terminal opens: the card's subject
 *    from its first entry (every run it ever started is learned, also those before the resume
 *    point), then each named actor's subject after the resume point; merged by sequence. Reads one
 *    subject at a time (nats-server 2.9: one filter per consumer), only the card's own actors.
 * 2. **Live** after H (`follow`): one ordered consumer on the workspace's subjects, keeping the
 *    card and its actors, learning new runs as the card starts them. A card journals `run.started`
 *    before it sends the agent its command, so an agent's first turn always comes after the event
 *    that names it.
 *
 * Every turn with a sequence above the resume point is yielded once (replay stops at H, live starts
 * after H), then a `replayed` marker between the phases.
 */
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { JournalReader, type JournalTurnAt } from '../../actors/kernel/index.js';
import { eventSubject, STREAMS, workspaceEventFilter, type ActorAddress } from '../../schemas/index.js';
import { natsUnavailable } from '../natsLink.js';
import type { RunIndex } from './runIndex.js';

export type FeedItem = JournalTurnAt | { readonly replayed: true };

export interface TerminalFeed {
  items(): AsyncGenerator<FeedItem>;
  close(): Promise<void>;
}

const reader = (js: JetStreamClient, filter: string, afterSeq: number, follow: boolean) =>
  new JournalReader(js, { filter, start: { afterSeq }, follow, onUnreadable: () => undefined });

/** Turns of one subject with `afterSeq < seq <= upTo`. */
async function readUpTo(js: JetStreamClient, subject: string, afterSeq: number, upTo: number) {
  const out: JournalTurnAt[] = [];
  if (afterSeq >= upTo) return out;
  const r = reader(js, subject, afterSeq, false);
  try {
    for await (const t of r.turns()) {
      if (t.seq > upTo) break;
      out.push(t);
    }
  } finally {
    await r.close();
  }
  return out;
}

/**
 * @example
 *   const feed = await openTerminalFeed(bus, card, runs, { afterSeq: 0, follow: true });
 *   for await (const item of feed.items()) if ('replayed' in item) goLive(); else show(item);
 */
export async function openTerminalFeed(
  bus: { js: JetStreamClient; jsm: JetStreamManager },
  card: ActorAddress,
  runs: RunIndex,
  opts: { afterSeq: number; follow: boolean },
): Promise<TerminalFeed> {
  let upTo: number;
  try {
    upTo = (await bus.jsm.streams.info(STREAMS.events)).state.last_seq;
  } catch (cause) {
    throw natsUnavailable('journal read failed', cause);
  }
  let live: JournalReader | null = null;
  let closed = false;

  async function* items(): AsyncGenerator<FeedItem> {
    const own = await readUpTo(bus.js, eventSubject(card), 0, upTo);
    for (const t of own) runs.learn(t.rec);
    const merged = own.filter((t) => t.seq > opts.afterSeq);
    for (const actor of runs.actors())
      merged.push(...(await readUpTo(bus.js, eventSubject(actor), opts.afterSeq, upTo)));
    merged.sort((a, b) => a.seq - b.seq); // stable: the turns of one entry keep their order
    for (const t of merged) {
      if (closed) return;
      yield t;
    }
    yield { replayed: true };
    if (!opts.follow || closed) return;
    live = reader(bus.js, workspaceEventFilter(card.org, card.ws), Math.max(upTo, opts.afterSeq), true);
    for await (const t of live.turns()) {
      runs.learn(t.rec);
      if (runs.isCard(t.rec.actor) || runs.runOf(t.rec.actor)) yield t;
    }
  }

  return {
    items,
    close: async () => {
      closed = true;
      await live?.close();
    },
  };
}
