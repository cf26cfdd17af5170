/**
 * The card terminal's pure parts: which actors a card's `run.started` events make it follow, how a
 * turn becomes seed 002's `log | status | metrics` messages (the same turn always gives the same
 * messages, which the `<seq>:<k>` cursor counts on), the filters, and the cursor's two forms.
 */
import { describe, expect, it } from 'vitest';
import {
  formatCursor,
  messagesOfTurn,
  parseCursor,
  RunIndex,
  terminalRequest,
} from '../../gateway/terminal/index.js';
import type { DomainEvent, JournalRecord } from '../../schemas/index.js';

const card = { org: 'o1', ws: 'w1', kind: 'card', id: 'w1-p1-c1' };
const agent = { kind: 'agent', id: 'w1-p1-t1' };

function turn(actor: { kind: string; id: string }, events: DomainEvent[], n = 1): JournalRecord {
  return {
    actor: { org: 'o1', ws: 'w1', ...actor },
    session: '_workspace',
    turn: n,
    cmd: { id: `c${n}`, type: 'x', at: 1_800_000_000_000 },
    state: 'active',
    status: 'active',
    events,
    effects: [],
    cancels: [],
  };
}

const started = { type: 'run.started', runId: 'r1', lane: 'doing', step: 0, agent: 'writer', actor: agent };

describe('card terminal messages', () => {
  it("follows the actors named by the card's run.started, and only those", () => {
    const runs = new RunIndex(card);
    expect(messagesOfTurn(turn(agent, [{ type: 'task.accepted', prompt: 'p' }]), runs)).toEqual([]);
    runs.learn(turn(card, [{ type: 'run.started', runId: 'r0', actor: { kind: 'agent' } }])); // no id: ignored
    expect(runs.actors()).toEqual([]);
    runs.learn(turn(card, [started]));
    expect(runs.actors()).toEqual([{ org: 'o1', ws: 'w1', ...agent }]);
    const msgs = messagesOfTurn(turn(agent, [{ type: 'task.accepted', prompt: 'p' }]), runs);
    expect(msgs.map((m) => [m.payload.type, m.source, m.level])).toEqual([['log', 'agent', 'info']]);
    expect(msgs[0]!.payload.data).toMatchObject({ runId: 'r1', message: 'task accepted: p' });
    // another card's runs are not learned
    expect(new RunIndex(card).learn(turn({ kind: 'card', id: 'w1-p1-c2' }, [started]))).toEqual([]);
  });

  it('a run step gives a status, a log line and, when finished with a cost, metrics; the same turn always gives the same messages', () => {
    const runs = new RunIndex(card);
    const fin = turn(card, [{ ...started, type: 'run.finished', status: 'failed', costMicros: 12 }], 2);
    const once = messagesOfTurn(fin, runs);
    expect(once.map((m) => [m.payload.type, m.level])).toEqual([
      ['status', 'error'],
      ['log', 'error'],
      ['metrics', 'info'],
    ]);
    expect(once[0]!.payload.data).toMatchObject({ runId: 'r1', status: 'failed', agent: 'writer', step: 0 });
    expect(messagesOfTurn(fin, runs)).toEqual(once);
    const quiet = messagesOfTurn(turn(card, [], 3), runs);
    expect(quiet.map((m) => [m.payload.type, m.level, m.source])).toEqual([['log', 'debug', 'orchestrator']]);
  });

  it('usage is provider metrics, a reply is agent text, a rejected command a warning', () => {
    const runs = new RunIndex(card);
    runs.learn(turn(card, [started]));
    const usage = { inputTokens: 3, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };
    const msgs = messagesOfTurn(
      turn(agent, [
        { type: 'agent.replied', step: 0, text: 'hello', tools: 0, provider: 'scripted', model: 'm', usage },
        {
          type: 'usage.recorded',
          effectId: '2.0',
          step: 0,
          provider: 'scripted',
          model: 'm',
          usage,
          costMicros: 4,
          priceMicros: 5,
        },
        { type: 'command.rejected', command: 'task.approve', state: 'done', reason: 'not waiting' },
      ]),
      runs,
    );
    expect(msgs.map((m) => [m.payload.type, m.source, m.level])).toEqual([
      ['log', 'agent', 'info'],
      ['metrics', 'provider', 'info'],
      ['log', 'agent', 'warn'],
    ]);
    expect(msgs[1]!.payload.data).toMatchObject({
      runId: 'r1',
      outputTokens: 5,
      costMicros: 4,
      priceMicros: 5,
    });
  });
});

describe('card terminal query and cursor', () => {
  it('a cursor <seq>:<k> resumes inside entry seq after k messages; <seq> after the whole entry', () => {
    expect(parseCursor(formatCursor(42, 3))).toEqual({ afterSeq: 41, skip: 3 });
    expect(parseCursor('42')).toEqual({ afterSeq: 42, skip: 0 });
    expect(parseCursor(undefined)).toEqual({ afterSeq: 0, skip: 0 });
  });

  it('filters are sets of levels and sources; realtime and deltas default on', () => {
    const r = terminalRequest({ level: 'warn,error', source: 'agent', realtime: '0' });
    expect([...r.filter.levels!]).toEqual(['warn', 'error']);
    expect([...r.filter.sources!]).toEqual(['agent']);
    expect(r.realtime).toBe(false);
    expect(terminalRequest({})).toMatchObject({ realtime: true, deltas: true, filter: {} });
  });
});
