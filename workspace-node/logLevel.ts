/**
 * The level of a logged turn (seed 002 `LogEntry.level`), stored next to its full-text row so log
 * search can filter by it. A turn is one command applied to one actor; its level is the worst thing
 * it journaled:
 *   error  an event `*.failed` (but a cancellation), `task.refused` or `command.rejected`, or an
 *          `effect.failed` command
 *   warn   a failure with code `cancelled`, `session.expired`, `plan.fallback`, `backup.skipped`, or a
 *          `task.cancel` / `task.deny` command
 *   debug  the turn journaled no event (a command the machine folded silently)
 *   info   everything else
 */
import type { JournalRecord, LogLevel } from '../schemas/index.js';

const WARN_EVENTS = new Set(['session.expired', 'plan.fallback', 'backup.skipped']);
const WARN_COMMANDS = new Set(['task.cancel', 'task.deny']);
const ERROR_EVENTS = new Set(['task.refused', 'command.rejected']);

/** a task that ends because someone cancelled it fails with this code: a warning, not an error */
const CANCELLED = 'cancelled';

export function logLevel(r: Pick<JournalRecord, 'cmd' | 'events'>): LogLevel {
  const failure = (e: JournalRecord['events'][number]) =>
    (e.type.endsWith('.failed') && e['code'] !== CANCELLED) || ERROR_EVENTS.has(e.type);
  if (r.cmd.type === 'effect.failed' || r.events.some(failure)) return 'error';
  const cancelled = r.events.some((e) => e.type.endsWith('.failed'));
  if (cancelled || WARN_COMMANDS.has(r.cmd.type) || r.events.some((e) => WARN_EVENTS.has(e.type)))
    return 'warn';
  return r.events.length === 0 ? 'debug' : 'info';
}
