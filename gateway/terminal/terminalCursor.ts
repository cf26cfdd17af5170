/**
 * The card terminal's resume point. Every message derived from the journal carries a cursor
 * `<seq>:<k>`: the k-th message (1-based, before filters) derived from the MOE_EVT entry at `seq`.
 * Reconnecting with `since=<seq>:<k>` resumes right after that message, also inside an entry that
 * yields several messages, so a client gets nothing twice and misses nothing. `since=<seq>` (the
 * form the other streams use) resumes after the whole entry. Deltas carry no cursor: they are
 * previews, never replayed.
 */

/** Pattern of the `since` query parameter. */
export const CURSOR_PATTERN = '^[0-9]{1,15}(:[0-9]{1,6})?$';

/** Where a terminal starts reading: after `afterSeq`, skipping the first `skip` messages of entry `afterSeq + 1`. */
export interface TerminalStart {
  readonly afterSeq: number;
  readonly skip: number;
}

export function parseCursor(since: string | undefined): TerminalStart {
  if (since === undefined) return { afterSeq: 0, skip: 0 };
  const [seq, k] = since.split(':');
  const s = Number(seq);
  if (k === undefined) return { afterSeq: s, skip: 0 };
  return s === 0 ? { afterSeq: 0, skip: 0 } : { afterSeq: s - 1, skip: Number(k) };
}

export function formatCursor(seq: number, k: number): string {
  return `${seq}:${k}`;
}
