/** The schemas exported as JSON Schema files to docs/schemas/ (a test fails when they drift): envelopes, command data, events. */
import type { TSchema } from '@sinclair/typebox';
import {
  CommandEnvelope,
  DeadLetter,
  JournalEntry,
  JournalRecordV1,
  JsonlLine,
  TurnRecord,
} from './envelope.js';
import { EVENT_SCHEMAS } from './eventCodec.js';
import { LiveDelta } from './liveDelta.js';
import { ReplayRequest, ReplayResponse } from './replay.js';
import { BOARD_COMMANDS_BY_KIND } from './boards.js';
import { SearchRequest, SearchResponse } from './search.js';
import { COMMANDS_BY_KIND, SystemCommands, TaskCompleted, TaskFailed, TaskSubmit } from './commands.js';

export function exportedSchemas(): Record<string, TSchema> {
  const out: Record<string, TSchema> = {
    CommandEnvelope,
    JournalEntry,
    TurnRecord,
    JournalRecordV1,
    JsonlLine,
    DeadLetter,
    TaskSubmit,
    TaskCompleted,
    TaskFailed,
    ReplayRequest,
    ReplayResponse,
    LiveDelta,
    SearchRequest,
    SearchResponse,
  };
  for (const [kind, commands] of Object.entries({
    ...COMMANDS_BY_KIND,
    ...BOARD_COMMANDS_BY_KIND,
    system: SystemCommands,
  })) {
    for (const [type, schema] of Object.entries(commands)) out[`command.${kind}.${type}`] = schema;
  }
  for (const [type, schema] of Object.entries(EVENT_SCHEMAS)) out[`event.${type}`] = schema;
  return out;
}
