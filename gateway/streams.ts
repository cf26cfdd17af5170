/**
 * Live event streams for WebSocket and SSE clients, read from MOE_EVT with the kernel's journal
 * reader: in order, no gaps, no duplicates for one connection (a lost consumer is resumed after the
 * last entry sent). One event per turn; each carries its
 * entry's stream sequence and a `cursor`: reconnecting with `since=<cursor>` (or SSE
 * `Last-Event-ID`) resumes right after it. The cursor is the entry's sequence on the entry's last
 * turn and the sequence before it on earlier turns, so a connection cut inside a multi-turn entry
 * gets that entry again (a turn is identified by actor and `turn`); otherwise every event comes
 * exactly once across reconnects. Where a stream starts is a {@link StreamStart}: after a cursor,
 * at new records only, or from the start — for a workspace-wide subject only within the last
 * {@link REPLAY_WINDOW} journal entries, so no client can make the gateway replay a whole
 * workspace's history. Closing a stream deletes its consumer on the server.
 */
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { JournalReader, type JournalStart } from '../actors/kernel/index.js';
import { STREAMS, type JournalRecord } from '../schemas/index.js';

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

/** Where the journal reader starts for a {@link StreamStart}. */
async function readerStart(jsm: JetStreamManager, start: StreamStart): Promise<JournalStart> {
  if ('since' in start) return { afterSeq: start.since };
  if (start.from === 'now') return { from: 'now' };
  if (!start.windowed) return { afterSeq: 0 };
  const last = (await jsm.streams.info(STREAMS.events)).state.last_seq;
  return { afterSeq: Math.max(0, last - REPLAY_WINDOW) };
}

/** Opens a journal reader on `subject` (a wildcard filter is fine) at `start`. */
export async function openEventStream(
  bus: { js: JetStreamClient; jsm: JetStreamManager },
  subject: string,
  opts: { start: StreamStart; filter?: StreamFilter },
): Promise<EventStream> {
  const reader = new JournalReader(bus.js, {
    filter: subject,
    start: await readerStart(bus.jsm, opts.start),
    follow: true,
    onUnreadable: () => undefined, // a stream skips what it cannot decode
  });
  await reader.open();
  const filter = opts.filter ?? {};
  return {
    async *[Symbol.asyncIterator]() {
      for await (const { seq, rec, endsEntry } of reader.turns()) {
        const ev = toStreamEvent(seq, rec, endsEntry);
        if (matches(ev, filter)) yield ev;
      }
    },
    close: () => reader.close(),
  };
}
