/** The card terminal (`WS /api/cards/:id/terminal`): seed 002's log stream over the journal and live deltas. */
export { openTerminal, type Terminal, type TerminalFrame, type TerminalOptions } from './runTerminal.js';
export { TerminalQuery, terminalRequest, type TerminalRequest } from './terminalQuery.js';
export { formatCursor, parseCursor, CURSOR_PATTERN, type TerminalStart } from './terminalCursor.js';
export { RunIndex, RunStartedRef, type RunRef } from './runIndex.js';
export {
  messagesOfTurn,
  TERMINAL_LEVELS,
  TERMINAL_SOURCES,
  type LogEntry,
  type RunMetrics,
  type RunStatus,
  type TerminalLevel,
  type TerminalPayload,
  type TerminalSource,
} from './terminalMessages.js';
