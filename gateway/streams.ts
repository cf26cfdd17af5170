/**
 * Live event streams for WebSocket and SSE clients, read from MOE_EVT with an ordered consumer:
 * in order, no gaps, no duplicates for one connection. One event per turn; each carries its
 * entry's stream sequence and a `cursor`: reconnecting with `since=<cursor>` (or SSE
 * `Last-Event-ID`) resumes right after it. The cursor is the entry's sequence on the entry's last
 * turn and the sequence before it on earlier turns, so a connection cut inside a multi-turn entry
 * gets that entry again (a turn is identified by actor and `turn`); otherwise every event comes
 * exactly once across reconnects. Where a stream starts is a {@link StreamStart}: after a cursor,
 * at new records only, or from the start — for a workspace-wide subject only within the last
 * {@link REPLAY_WINDOW} journal entries, so no client can make the gateway replay a whole
 * workspace's history. Closing a stream deletes its consumer on the server.
 */
import {
  DeliverPolicy,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { decodeTurns, STREAMS, type JournalRecord } from '../schemas/index.js';
import { closeConsumer } from './bus.js';

/** How far back (MOE_EVT sequences) a windowed `from=start` may begin. */
export const REPLAY_WINDOW = 10_000;

/**
 * `since`: the entries after that MOE_EVT sequence; `now`: only new entries; `start`: from the
 * first entry, or (`windowed`) from at most {@link REPLAY_WINDOW} sequences before the last one.
 */
export type StreamStart =
  | { readonly since: number }
  | { readonly from: 'now' }
  | { readonly from: 'start'; readonly windowed: boolean };

export type Level = 'debug' | 'info' | 'error';
const LEVEL_RANK: Record<Level, number> = { debug: 0, info: 1, error: 2 };

/** What a stream client receives per turn. */
export interface StreamEvent {
  seq: number;
  /** resume point: `since=<cursor>` continues after this event */
  cursor: number;
  actor: { kind: string; id: string };
  session: string;
  turn: number;
  cmd: { id: string; type: string; at: number };
  state: string;
  status: JournalRecord['status'];
  events: JournalRecord['events'];
  level: Level;
  source: string;
}

export interface StreamFilter {
  /** minimum level */
  level?: Level;
  /** actor kinds to include */
  sources?: string[];
  /** only records of this session */
  session?: string;
  /** a last say per event (e.g. hide agents of projects the caller cannot see) */
  allow?: (ev: StreamEvent) => boolean;
}

export function levelOf(rec: JournalRecord): Level {
  if (
    rec.status === 'error' ||
    rec.events.some((e) => e.type === 'command.rejected' || e.type.endsWith('.failed'))
  )
    return 'error';
  if (rec.events.length === 0) return 'debug';
  return 'info';
}

export function toStreamEvent(seq: number, rec: JournalRecord, endsEntry = true): StreamEvent {
  return {
    seq,
    cursor: endsEntry ? seq : seq - 1,
    actor: { kind: rec.actor.kind, id: rec.actor.id },
    session: rec.session,
    turn: rec.turn,
    cmd: { id: rec.cmd.id, type: rec.cmd.type, at: rec.cmd.at },
    state: rec.state,
    status: rec.status,
    events: rec.events,
    level: levelOf(rec),
    source: rec.actor.kind,
  };
}

export function matches(ev: StreamEvent, f: StreamFilter): boolean {
  if (f.level && LEVEL_RANK[ev.level] < LEVEL_RANK[f.level]) return false;
  if (f.sources && f.sources.length > 0 && !f.sources.includes(ev.source)) return false;
  if (f.session && ev.session !== f.session) return false;
  return f.allow ? f.allow(ev) : true;
}

export interface EventStream {
  [Symbol.asyncIterator](): AsyncIterator<StreamEvent>;
  close(): Promise<void>;
}

/** The ordered consumer's start for a {@link StreamStart}. */
async function deliverFrom(jsm: JetStreamManager, start: StreamStart) {
  if ('since' in start)
    return { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start.since + 1 };
  if (start.from === 'now') return { deliver_policy: DeliverPolicy.New };
  if (!start.windowed) return {};
  const last = (await jsm.streams.info(STREAMS.events)).state.last_seq;
  return {
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: Math.max(1, last - REPLAY_WINDOW + 1),
  };
}

/** Opens an ordered consumer on `subject` (a wildcard filter is fine) at `start`. */
export async function openEventStream(
  bus: { js: JetStreamClient; jsm: JetStreamManager },
  subject: string,
  opts: { start: StreamStart; filter?: StreamFilter },
): Promise<EventStream> {
  const consumer = await bus.js.consumers.get(STREAMS.events, {
    filter_subjects: subject,
    ...(await deliverFrom(bus.jsm, opts.start)),
  });
  const messages: ConsumerMessages = await consumer.consume();
  const filter = opts.filter ?? {};
  let closing: Promise<void> | undefined;
  return {
    async *[Symbol.asyncIterator]() {
      for await (const m of messages) {
        let turns: JournalRecord[];
        try {
          turns = decodeTurns(m.data);
        } catch {
          continue;
        }
        for (let i = 0; i < turns.length; i++) {
          const ev = toStreamEvent(m.seq, turns[i]!, i === turns.length - 1);
          if (matches(ev, filter)) yield ev;
        }
      }
    },
    close: () => (closing ??= closeConsumer(consumer, messages)),
  };
}
