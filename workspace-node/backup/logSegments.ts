/**
 * Session JSONL logs (actors/kernel/jsonlLog.ts: `sessions/<session>.jsonl`, append-only, one
 * `{"seq":…,"rec":{…}}` line per journal entry) backed up as sealed segments: a segment is a byte
 * range [start, end) of one log ending on a newline, so it holds whole lines and never changes
 * (a line still being written is left for the next backup). Segments are gzip-compressed and keyed
 * by log, range and content sha256. Incremental: the previous manifest's segments of a log are
 * kept when the log still starts with them (its last segment's bytes are re-hashed to check), and
 * only the bytes after them are sealed and uploaded; a log that was rewritten starts over.
 */
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ObjectStore } from '../../storage/index.js';
import { segmentKey, type LogEntry, type SegmentEntry } from './manifest.js';
import { hashFile, putCompressed } from './transfer.js';

/** Default upper bound of one segment's uncompressed size (a longer line makes a longer segment). */
export const SEGMENT_BYTES = 16 * 1024 * 1024;

const WINDOW = 64 * 1024;

/** The offset just past the last '\n' in [from, to) of the file, or -1 when there is none. */
function afterLastNewline(fd: number, from: number, to: number): number {
  const buf = Buffer.allocUnsafe(WINDOW);
  for (let end = to; end > from;) {
    const start = Math.max(from, end - WINDOW);
    const n = readSync(fd, buf, 0, end - start, start);
    const i = buf.subarray(0, n).lastIndexOf(0x0a);
    if (i >= 0) return start + i + 1;
    end = start;
  }
  return -1;
}

/** `rec.v` of the line starting at `offset`, if it can be read from its first 4 KiB. */
function entryVersionAt(fd: number, offset: number): number | undefined {
  const buf = Buffer.allocUnsafe(4096);
  const n = readSync(fd, buf, 0, buf.length, offset);
  const m = /"rec":\{"v":(\d+)/.exec(buf.subarray(0, n).toString('latin1'));
  return m ? Number(m[1]) : undefined;
}

export interface SealedLogs {
  readonly logs: LogEntry[];
  /** journal entry versions seen at the start of each new segment */
  readonly entryVersions: Set<number>;
  /** segments uploaded by this run */
  readonly uploaded: number;
}

async function sealedPrefix(
  path: string,
  previous: LogEntry | undefined,
  sealedEnd: number,
): Promise<LogEntry['segments']> {
  if (!previous || previous.size > sealedEnd) return [];
  const last = previous.segments.at(-1);
  if (!last) return [];
  const now = await hashFile(path, last);
  return now.sha256 === last.rawSha256 ? previous.segments : [];
}

/** Seals and uploads every log in `sessionsDir`; `previous`: the last backup's logs. */
export async function sealLogs(
  store: ObjectStore,
  sessionsDir: string,
  previous: readonly LogEntry[] = [],
  segmentBytes = SEGMENT_BYTES,
): Promise<SealedLogs> {
  const byName = new Map(previous.map((l) => [l.name, l]));
  const names = (() => {
    try {
      return readdirSync(sessionsDir)
        .filter((n) => n.endsWith('.jsonl'))
        .sort();
    } catch {
      return [];
    }
  })();
  const logs: LogEntry[] = [];
  const entryVersions = new Set<number>();
  let uploaded = 0;
  for (const name of names) {
    const path = join(sessionsDir, name);
    if (!statSync(path).isFile()) continue;
    const fd = openSync(path, 'r');
    try {
      const size = statSync(path).size;
      const sealedEnd = Math.max(0, afterLastNewline(fd, 0, size));
      const segments: SegmentEntry[] = [...(await sealedPrefix(path, byName.get(name), sealedEnd))];
      let start = segments.at(-1)?.end ?? 0;
      while (start < sealedEnd) {
        const cut =
          start + segmentBytes >= sealedEnd ? sealedEnd : afterLastNewline(fd, start, start + segmentBytes);
        const end = cut > start ? cut : sealedEnd;
        const range = { start, end };
        const raw = await hashFile(path, range);
        const key = segmentKey(name.slice(0, -'.jsonl'.length), start, end, raw.sha256);
        const v = entryVersionAt(fd, start);
        if (v !== undefined) entryVersions.add(v);
        const existing = await store.head(key);
        if (existing?.sha256) {
          segments.push({
            key,
            sha256: existing.sha256,
            size: existing.size,
            rawSha256: raw.sha256,
            rawSize: raw.size,
            ...range,
          });
        } else {
          segments.push({ ...(await putCompressed(store, key, path, raw, range)), ...range });
          uploaded++;
        }
        start = end;
      }
      logs.push({ name, size: segments.at(-1)?.end ?? 0, segments });
    } finally {
      closeSync(fd);
    }
  }
  return { logs, entryVersions, uploaded };
}
