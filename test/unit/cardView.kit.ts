/** Journal records of one card actor, turn by turn, for tests of the gateway's card view fold. */
import type { JournalRecord } from '../../schemas/index.js';
import type { SeqRecord } from '../../gateway/bus.js';

export const CARD_ADDR = { org: 'o1', ws: 'w0123456789abcdef' };

/** One record per entry of `turns` (its events), turns 1..n at sequences 1..n. */
export function cardRecords(card: string, cmdType: string, ...turns: JournalRecord['events'][]): SeqRecord[] {
  return turns.map((events, i) => ({
    seq: i + 1,
    rec: {
      actor: { ...CARD_ADDR, kind: 'card', id: card },
      turn: i + 1,
      session: '_workspace',
      cmd: { id: `c${i + 1}`, type: cmdType, at: 1000 + i },
      state: 'idle',
      status: 'active',
      events,
      effects: [],
      cancels: [],
    },
  }));
}
