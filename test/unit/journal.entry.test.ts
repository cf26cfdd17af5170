/**
 * The journal entry format: v2 entries (one or more turns) and legacy v1 records both decode to
 * the same per-turn view; an entry's effect bookkeeping nets out effects started and settled
 * inside it; stream events carry a resume cursor that never skips a turn of a cut entry; and
 * projection tables keyed by seq alone are migrated to (seq, turn) keeping their rows.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { entryEffects } from '../../actors/kernel/entryEffects.js';
import { toStreamEvent } from '../../gateway/streams.js';
import { decodeTurns, journalCodec, type JournalEntry, type TurnRecord } from '../../schemas/index.js';
import { openSqliteCluster } from '../../workspace-node/sqliteCluster.js';
import { tempDir } from '../harness/index.js';

const actor = { org: 'o', ws: 'w', kind: 'org', id: 'a' };
const turn = (n: number, over: Partial<TurnRecord> = {}): TurnRecord => ({
  turn: n,
  cmd: { id: `c${n}`, type: 'workspace.add', at: n, data: { workspace: `w${n}` } },
  state: 'active',
  status: 'active',
  events: [{ type: 'workspace.added', workspace: `w${n}` }],
  effects: [],
  cancels: [],
  ...over,
});
const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

describe('journal entries', () => {
  it('decodes v2 entries turn by turn, each with the entry actor and session', () => {
    const entry: JournalEntry = { v: 2, actor, session: 's1', turns: [turn(4), turn(5)] };
    const turns = decodeTurns(bytes(entry));
    expect(turns.map((t) => [t.turn, t.cmd.id, t.session, t.actor.id])).toEqual([
      [4, 'c4', 's1', 'a'],
      [5, 'c5', 's1', 'a'],
    ]);
  });

  it('still decodes v1 records as one turn', () => {
    const v1 = { v: 1, actor, session: '_workspace', ...turn(1) };
    const turns = decodeTurns(bytes(v1));
    expect(turns).toHaveLength(1);
    expect(turns[0]).toMatchObject({ turn: 1, session: '_workspace', actor, cmd: { id: 'c1' } });
    expect(turns[0]).not.toHaveProperty('v');
  });

  it('rejects an entry without turns and unknown versions', () => {
    expect(() => journalCodec.decode(bytes({ v: 2, actor, session: 's', turns: [] }))).toThrow(
      /JournalEntry/,
    );
    expect(() => journalCodec.decode(bytes({ v: 3, actor, session: 's', turns: [turn(1)] }))).toThrow(
      /JournalEntry/,
    );
  });
});

describe('entry effects', () => {
  it('keeps effects still pending at the end of the entry and settles earlier ones', () => {
    const turns = [
      turn(1, {
        effects: [
          { id: '1.0', kind: 'timer', fireAt: 10 },
          { id: '1.1', kind: 'llm.call' },
        ],
      }),
      turn(2, { cancels: ['1.0', '0.3'] }),
      turn(3, { cmd: { id: 'fx', type: 'effect.result', at: 3, data: { effectId: '0.7' } } }),
    ];
    const { started, settled } = entryEffects(turns);
    expect(started.map((e) => [e.spec.id, e.turnIndex])).toEqual([['1.1', 0]]);
    expect(settled).toEqual(['0.3', '0.7']);
  });
});

describe('stream cursor', () => {
  it('is the entry sequence on its last turn and the one before on earlier turns', () => {
    const [first, last] = decodeTurns(bytes({ v: 2, actor, session: 's', turns: [turn(1), turn(2)] }));
    expect(toStreamEvent(41, first!, false)).toMatchObject({ seq: 41, cursor: 40, turn: 1 });
    expect(toStreamEvent(41, last!, true)).toMatchObject({ seq: 41, cursor: 41, turn: 2 });
  });
});

describe('projection tables', () => {
  it('migrates tables keyed by seq alone to (seq, turn), keeping their rows', () => {
    const dir = tempDir();
    try {
      const old = new Database(join(dir.path, 'messages.db'));
      old.exec(`CREATE TABLE messages (seq INTEGER NOT NULL, actor TEXT NOT NULL, session TEXT NOT NULL,
        role TEXT NOT NULL, content TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (seq, role));
        INSERT INTO messages VALUES (7, 'o.w.agent.t', 's', 'user', 'hello', 1);`);
      old.close();
      const m = new Database(join(dir.path, 'metrics.db'));
      m.exec(`CREATE TABLE calls (seq INTEGER PRIMARY KEY, actor TEXT NOT NULL, session TEXT NOT NULL,
        provider TEXT NOT NULL, model TEXT NOT NULL, input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
        cache_read_tokens INTEGER NOT NULL, cache_write_tokens INTEGER NOT NULL, at INTEGER NOT NULL);
        INSERT INTO calls VALUES (9, 'o.w.agent.t', 's', 'scripted', 'm', 1, 2, 0, 0, 5);`);
      m.close();
      const cluster = openSqliteCluster(dir.path);
      try {
        expect(cluster.messages.prepare('SELECT seq, turn, content FROM messages').all()).toEqual([
          { seq: 7, turn: 0, content: 'hello' },
        ]);
        expect(cluster.metrics.prepare('SELECT seq, turn, input_tokens, effect_id FROM calls').all()).toEqual(
          [{ seq: 9, turn: 0, input_tokens: 1, effect_id: '' }],
        );
        // Two turns of one entry now both get a row.
        const ins = cluster.messages.prepare(
          "INSERT INTO messages (seq, turn, actor, session, role, content, at) VALUES (8, ?, 'x', 's', 'user', 'q', 1)",
        );
        ins.run(1);
        ins.run(2);
        expect(cluster.messages.prepare('SELECT count(*) AS n FROM messages WHERE seq = 8').get()).toEqual({
          n: 2,
        });
      } finally {
        cluster.close();
      }
    } finally {
      dir.remove();
    }
  });
});
