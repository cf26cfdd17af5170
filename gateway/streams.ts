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
 *
 * Old journal entries are purged per actor behind verified backups (issue 8), so a resume point
 * can lie below what MOE_EVT still holds. That is never skipped in silence: a stream that resumes
 * after a cursor (`since`, or a task's whole run) fails with `MOE_ERR_CURSOR_PURGED` (410), naming
 * the first sequence it can resume from (`details.since`) — before the stream opens for one actor's
 * subject ({@link assertCursorHeld}), and as an error on the stream for a workspace-wide one, when
 * it meets the first actor whose turns after the cursor are gone (an actor met past turn 1 with no
 * entry held at or before the cursor).
 */
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { MoeError } from '../schemas/index.js';
import { firstJournalEntry, JournalReader, type JournalStart } from '../actors/kernel/index.js';
import { eventSubject, STREAMS, turnsOf, type JournalRecord } from '../schemas/index.js';
import { errors } from './errors.js';
import { natsUnavailable } from './natsLink.js';

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

/** Whether a live delta passes a stream's `level` and `source` filters (a delta counts as `info`). */
export function deltaMatches(actorKind: string, f: StreamFilter): boolean {
  if (f.level && LEVEL_RANK[f.level] > LEVEL_RANK.info) return false;
  return !(f.sources && f.sources.length > 0 && !f.sources.includes(actorKind));
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

/**
 * The cursor a start resumes after, when the client relies on having everything after it: `since`,
 * and a whole (not windowed) `from=start` (cursor 0). Null for `now` and a windowed start.
 */
export function resumeCursor(start: StreamStart): number | null {
  if ('since' in start) return start.since;
  if (start.from === 'start' && !start.windowed) return 0;
  return null;
}

/** `MOE_ERR_CURSOR_PURGED` for `what`, whose first entry still held is `firstSeq`. */
export function cursorPurged(what: string, cursor: number, firstSeq: number): MoeError {
  return errors.CURSOR_PURGED(
    `${what}: entries after ${cursor} were purged; the first one held is ${firstSeq} (resume with since=${firstSeq - 1})`,
    { details: { cursor, firstSeq, since: firstSeq - 1 } },
  );
}

const isWildcard = (subject: string) => subject.includes('*') || subject.includes('>');

/** The first entry held on `subject`; a lookup NATS does not answer is a retryable 503. */
async function firstHeld(jsm: JetStreamManager, subject: string) {
  try {
    return await firstJournalEntry(jsm, subject);
  } catch (cause) {
    throw natsUnavailable('journal read failed', cause);
  }
}

/**
 * Before a stream on one actor's subject opens: throws {@link cursorPurged} when its first entry
 * still held comes after `start`'s cursor and is not its first turn (earlier turns were purged).
 * Workspace-wide subjects are checked per actor while streaming.
 */
export async function assertCursorHeld(
  jsm: JetStreamManager,
  subject: string,
  start: StreamStart,
): Promise<void> {
  const cursor = resumeCursor(start);
  if (cursor === null || isWildcard(subject)) return;
  const first = await firstHeld(jsm, subject);
  const firstTurn = first ? (turnsOf(first.entry)[0]?.turn ?? 1) : 1;
  if (first && firstTurn > 1 && first.seq > cursor + 1) throw cursorPurged(subject, cursor, first.seq);
}

/** Opens a journal reader on `subject` (a wildcard filter is fine) at `start`. */
export async function openEventStream(
  bus: { js: JetStreamClient; jsm: JetStreamManager },
  subject: string,
  opts: { start: StreamStart; filter?: StreamFilter; onTurn?: (ev: StreamEvent) => void },
): Promise<EventStream> {
  const reader = new JournalReader(bus.js, {
    filter: subject,
    start: await readerStart(bus.jsm, opts.start),
    follow: true,
    onUnreadable: () => undefined, // a stream skips what it cannot decode
  });
  await reader.open();
  const filter = opts.filter ?? {};
  // the scope of a gap check: what the client asked for, whatever the level of each turn
  const scope: StreamFilter = { ...filter, level: 'debug' };
  const cursor = resumeCursor(opts.start);
  const seen = new Set<string>();
  /**
   * Throws when `rec`'s actor, met here for the first time past turn 1 and not right after the
   * cursor, has no entry held up to the cursor: its earlier turns are purged, and some may have
   * come after the cursor (an entry of it held at or before the cursor means none did: a purge
   * removes a prefix of a subject, and every entry after the cursor is read here first).
   */
  const checkHeld = async (seq: number, rec: JournalRecord, from: number) => {
    const subj = eventSubject(rec.actor);
    if (seen.has(subj)) return;
    seen.add(subj);
    if (rec.turn <= 1 || seq <= from + 1) return;
    const first = await firstHeld(bus.jsm, subj);
    if (!first || first.seq >= seq) throw cursorPurged(subj, from, seq);
  };
  return {
    async *[Symbol.asyncIterator]() {
      for await (const { seq, rec, endsEntry } of reader.turns()) {
        const ev = toStreamEvent(seq, rec, endsEntry);
        opts.onTurn?.(ev);
        if (cursor !== null && matches(ev, scope)) await checkHeld(seq, rec, cursor);
        if (matches(ev, filter)) yield ev;
      }
    },
    close: () => reader.close(),
  };
}
