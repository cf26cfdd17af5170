/**
 * Seed 002's terminal subscription (`{ cardId, filters: { level, sources }, realtime }`) as the
 * query parameters of `WS /api/cards/:id/terminal`, checked by the route schema before the upgrade.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Flag, flagOn } from '../httpSchemas.js';
import { CURSOR_PATTERN, parseCursor, type TerminalStart } from './terminalCursor.js';
import {
  TERMINAL_LEVELS,
  TERMINAL_SOURCES,
  type TerminalFilter,
  type TerminalLevel,
  type TerminalSource,
} from './terminalMessages.js';

const listOf = (words: readonly string[]) => `^(${words.join('|')})(,(${words.join('|')}))*$`;

export const TerminalQuery = Type.Object(
  {
    since: Type.Optional(
      Type.String({
        pattern: CURSOR_PATTERN,
        description: 'resume after this cursor (`<seq>:<k>` from a message, or `<seq>`)',
      }),
    ),
    level: Type.Optional(
      Type.String({ pattern: listOf(TERMINAL_LEVELS), description: 'levels to show, comma-separated' }),
    ),
    source: Type.Optional(
      Type.String({ pattern: listOf(TERMINAL_SOURCES), description: 'sources to show, comma-separated' }),
    ),
    realtime: Type.Optional(Flag),
    deltas: Type.Optional(Flag),
    access_token: Type.Optional(Type.String({ maxLength: 4096 })),
  },
  { additionalProperties: false },
);
export type TerminalQuery = Static<typeof TerminalQuery>;

export interface TerminalRequest {
  readonly start: TerminalStart;
  readonly filter: TerminalFilter;
  readonly realtime: boolean;
  readonly deltas: boolean;
}

/** The terminal a (schema-checked) query asks for: realtime and deltas default on. */
export function terminalRequest(q: TerminalQuery): TerminalRequest {
  const levels = q.level ? new Set(q.level.split(',') as TerminalLevel[]) : undefined;
  const sources = q.source ? new Set(q.source.split(',') as TerminalSource[]) : undefined;
  return {
    start: parseCursor(q.since),
    filter: { ...(levels ? { levels } : {}), ...(sources ? { sources } : {}) },
    realtime: flagOn(q.realtime, true),
    deltas: flagOn(q.deltas, true),
  };
}
