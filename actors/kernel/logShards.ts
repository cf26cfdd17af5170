/**
 * Which worker replays which line of a session log: every line of one actor goes to the same
 * shard, decided WITHOUT parsing the line — the record's `"actor":{…}` object is found by a string
 * scan and its text hashed (a line where the scan fails is parsed in full; one without an actor
 * goes to shard 0, whose Replayer then reports it). `forEachShardLine` reads a log in chunks and
 * hands one shard its lines.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { isAscii } from 'node:buffer';

const ACTOR_KEY = '"actor":{';
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** FNV-1a over the UTF-16 code units of `text[from, to)`. */
function hash(text: string, from = 0, to = text.length): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Nesting depth of objects and arrays at `end`, strings skipped. */
function depthAt(text: string, from: number, end: number): number {
  let depth = 0;
  let inString = false;
  for (let i = from; i < end; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return depth;
}

/** The record's actor of a line parsed in full, in the form a scan finds it in. */
function parsedActor(line: string): string | undefined {
  try {
    const parsed = JSON.parse(line) as { rec?: { actor?: unknown }; actor?: unknown } | null;
    const actor = parsed?.rec?.actor ?? parsed?.actor;
    return actor && typeof actor === 'object' ? JSON.stringify(actor) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The shard (0 ≤ shard < shards) of the log line `text[start, end)`: every line of one actor gets
 * the same. Hashes the first `"actor":{…}` of the line when it sits in the line or in its record
 * (depth ≤ 2: `{"seq":…,"rec":{…,"actor":{…}`); otherwise parses the line. A line without an
 * actor goes to shard 0, whose Replayer reports it. `actorAt`, the first `"actor":{` at or after
 * `start` (any value ≥ `end` when the line has none), lets a caller scanning a whole text search
 * it once rather than once per line.
 */
export function shardOf(
  text: string,
  shards: number,
  start = 0,
  end = text.length,
  actorAt = text.indexOf(ACTOR_KEY, start),
): number {
  if (shards <= 1) return 0;
  if (actorAt >= start && actorAt < end && depthAt(text, start, actorAt) <= 2) {
    const open = actorAt + ACTOR_KEY.length - 1;
    const close = text.indexOf('}', open);
    if (close > open && close < end) return hash(text, open, close + 1) % shards;
  }
  const actor = parsedActor(text.slice(start, end));
  return actor === undefined ? 0 : hash(actor) % shards;
}

// Reused across replays in a worker: a fresh buffer per replay would cost page faults every time.
let chunk = Buffer.allocUnsafe(1 << 20);

/**
 * Calls `onLine` with every non-blank line of the file that belongs to `shard` (trimmed, as
 * `moe replay` reads them) and its 1-based line number. Reads the file in chunks, so memory does
 * not grow with it. A throw from `onLine` stops it.
 */
export function forEachShardLine(
  path: string,
  shard: number,
  shards: number,
  onLine: (line: string, n: number) => void,
): void {
  const fd = openSync(path, 'r');
  try {
    let filled = 0;
    let n = 0;
    for (;;) {
      if (filled === chunk.length) {
        const bigger = Buffer.allocUnsafe(chunk.length * 2); // a line longer than the buffer
        chunk.copy(bigger, 0, 0, filled);
        chunk = bigger;
      }
      const read = readSync(fd, chunk, filled, chunk.length - filled, null);
      filled += read;
      const eof = read === 0;
      // Complete lines only: up to the last newline (never inside a UTF-8 sequence), or to the end.
      const cut = eof ? filled : chunk.lastIndexOf(0x0a, filled - 1) + 1;
      const bytes = chunk.subarray(0, cut);
      const text = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
      let actorAt = -1; // the next `"actor":{` at or after `from` (text.length: none left)
      for (let from = 0; from < text.length;) {
        let nl = text.indexOf('\n', from);
        if (nl < 0) nl = text.length;
        n++;
        if (actorAt < from) {
          actorAt = text.indexOf(ACTOR_KEY, from);
          if (actorAt < 0) actorAt = text.length;
        }
        if (shardOf(text, shards, from, nl, actorAt) === shard) {
          const line = text.slice(from, nl).trim();
          if (line) onLine(line, n);
        }
        from = nl + 1;
      }
      chunk.copy(chunk, 0, cut, filled);
      filled -= cut;
      if (eof) return;
    }
  } finally {
    closeSync(fd);
  }
}
