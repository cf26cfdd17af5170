/**
 * Logging for failures that repeat: the first occurrence of a key is logged in full (with its
 * stack), the repeats are only counted, with a summary line at most once per `summaryMs` and a
 * last one when the key clears. A poisoned or stuck command then costs one stack, not one a second.
 */
import type { Logger } from 'pino';

/** Whether the n-th repeat of something gets a log line, for logs that thin out: 1, 2, 4, 8, … */
export const isPowerOfTwo = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

interface Seen {
  repeats: number;
  lastSummary: number;
}

export class RepeatLog {
  private readonly seen = new Map<string, Seen>();
  /** repeats counted (not logged) since start */
  repeats = 0;

  constructor(
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly summaryMs = 60_000,
  ) {}

  /** Logs `msg` with `fields` the first time `key` fails; afterwards counts, and summarizes now and then. */
  warn(key: string, fields: Record<string, unknown>, msg: string): void {
    const s = this.seen.get(key);
    if (!s) {
      this.seen.set(key, { repeats: 0, lastSummary: this.now() });
      this.log.warn(fields, msg);
      return;
    }
    s.repeats++;
    this.repeats++;
    if (this.now() - s.lastSummary >= this.summaryMs) {
      s.lastSummary = this.now();
      this.log.warn({ key, repeats: s.repeats }, `${msg} (repeating; stack logged once)`);
    }
  }

  /** `key` succeeded: a final summary if it had repeated, and forget it. */
  clear(key: string): void {
    const s = this.seen.get(key);
    if (!s) return;
    this.seen.delete(key);
    if (s.repeats > 0) this.log.info({ key, repeats: s.repeats }, 'recovered after repeated failures');
  }
}
