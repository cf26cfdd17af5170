/**
 * The level of a logged turn (seed 002 `LogEntry.level`), stored next to its full-text row so log
 * search can filter by it. A turn is one command applied to one actor; its level is the worst thing
 * it journaled:
 *   error  an event `*.failed`, `task.refused` or `command.rejected`, or an `effect.failed` command
 *   warn   `session.expired`, `plan.fallback`, `backup.skipped`, or a `task.cancel` / `task.deny` command
 *   debug  the turn journaled no event (a command the machine folded silently)
 *   info   everything else
 */
import type { JournalRecord, LogLevel } from '../schemas/index.js';

const WARN_EVENTS = new Set(['session.expired', 'plan.fallback', 'backup.skipped']);
const WARN_COMMANDS = new Set(['task.cancel', 'task.deny']);
const ERROR_EVENTS = new Set(['task.refused', 'command.rejected']);

export function logLevel(r: Pick<JournalRecord, 'cmd' | 'events'>): LogLevel {
  const types = r.events.map((e) => (typeof e.type === 'string' ? e.type : ''));
  if (r.cmd.type === 'effect.failed' || types.some((t) => t.endsWith('.failed') || ERROR_EVENTS.has(t)))
    return 'error';
  if (WARN_COMMANDS.has(r.cmd.type) || types.some((t) => WARN_EVENTS.has(t))) return 'warn';
  return types.length === 0 ? 'debug' : 'info';
}
