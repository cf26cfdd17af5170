/**
 * Decoding MOE_EVT messages and session-log lines: one validating codec for every journal
 * version, and `decodeTurns` for readers that work turn by turn (most of them).
 */
import { codec } from './codec.js';
import { AnyJournalEntry, turnsOf, type JournalRecord } from './envelope.js';

export const journalCodec = codec(AnyJournalEntry, 'JournalEntry');

/** The turns carried by one MOE_EVT message (throws SchemaError when it is not a journal entry). */
export function decodeTurns(bytes: Uint8Array): JournalRecord[] {
  return turnsOf(journalCodec.decode(bytes));
}
