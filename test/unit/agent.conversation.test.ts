/**
 * Conversational agents (seed 001 `receive(agentId, message)`): an agent that answered takes a
 * follow-up message and answers it with the whole conversation as context; messages sent while it
 * works wait in its inbox and are answered in arrival order; snapshots stored when `done` was a
 * final state restore into a state that takes a follow-up.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentMachine, type AgentContext } from '../../actors/index.js';
import { MachineHost, statusOf } from '../../actors/kernel/index.js';
import { llmReply, walker } from './agent.machineKit.js';

const answered = () => {
  const w = walker(agentMachine);
  w.send('task.submit', { prompt: 'name a colour' });
  w.send('effect.result', { effectId: '1.0', value: llmReply('blue') });
  return w;
};

const ctx = (w: ReturnType<typeof walker>) => w.snapshot.context as AgentContext;

describe('agent conversation', () => {
  it('a finished agent answers a follow-up with the whole conversation as context', () => {
    const w = answered();
    expect(w.state).toBe('done');
    expect(statusOf(w.snapshot)).toBe('done');
    const t = w.send('agent.message', { text: 'and another one?' });
    expect(w.state).toBe('thinking');
    expect(statusOf(w.snapshot)).toBe('active');
    expect(t.emits).toEqual([
      {
        type: 'message.accepted',
        text: 'and another one?',
        queued: 0,
        conversationTurn: 2,
        profile: 'default',
      },
    ]);
    expect(t.effects).toEqual([{ id: '3.0', kind: 'llm.call', profile: 'default', step: 1 }]);
    expect(ctx(w).messages.map((m) => [m.role, m.content])).toEqual([
      ['user', 'name a colour'],
      ['assistant', 'blue'],
      ['user', 'and another one?'],
    ]);
    const done = w.send('effect.result', { effectId: '3.0', value: llmReply('green') });
    expect(w.state).toBe('done');
    const completed = done.emits.find((e) => e.type === 'task.completed');
    expect(completed).toMatchObject({ result: 'green', steps: 2, costMicros: 70 });
  });

  it('messages sent while the agent works wait and are answered in arrival order', () => {
    const w = walker(agentMachine);
    w.send('task.submit', { prompt: 'count' });
    const q1 = w.send('agent.message', { text: 'first' });
    const q2 = w.send('agent.message', { text: 'second' });
    expect(q1.emits[0]).toMatchObject({ type: 'message.accepted', queued: 1, conversationTurn: 2 });
    expect(q2.emits[0]).toMatchObject({ type: 'message.accepted', queued: 2, conversationTurn: 3 });
    expect(q1.effects).toEqual([]);
    expect(w.state).toBe('thinking');

    // the task's answer comes: the first queued message starts in the same turn
    const a = w.send('effect.result', { effectId: '1.0', value: llmReply('one') });
    expect(a.emits.map((e) => e.type)).toContain('task.completed');
    expect(a.effects).toEqual([{ id: '4.1', kind: 'llm.call', profile: 'default', step: 1 }]);
    expect(w.state).toBe('thinking');
    expect(ctx(w).messages.at(-1)).toEqual({ role: 'user', content: 'first' });
    expect(ctx(w).inbox).toEqual([{ text: 'second', script: null }]);

    w.send('effect.result', { effectId: '4.1', value: llmReply('two') });
    expect(ctx(w).messages.at(-1)).toEqual({ role: 'user', content: 'second' });
    w.send('effect.result', { effectId: '5.1', value: llmReply('three') });
    expect(w.state).toBe('done');
    expect(ctx(w).messages.map((m) => m.content)).toEqual([
      'count',
      'one',
      'first',
      'two',
      'second',
      'three',
    ]);
  });

  it('a message with clear is answered with a fresh conversation, now or from the inbox', () => {
    const w = answered();
    const t = w.send('agent.message', { text: 'start over: name a fruit', clear: true });
    expect(t.emits[0]).toMatchObject({ type: 'message.accepted', conversationTurn: 2, cleared: true });
    expect(ctx(w).messages).toEqual([{ role: 'user', content: 'start over: name a fruit' }]);
    // one sent while it works waits with its flag, and clears when its turn comes
    const q = w.send('agent.message', { text: 'again, fresh', clear: true });
    expect(q.emits[0]).toMatchObject({ type: 'message.accepted', queued: 1, cleared: true });
    expect(ctx(w).inbox).toEqual([{ text: 'again, fresh', script: null, clear: true }]);
    w.send('effect.result', { effectId: '3.0', value: llmReply('apple') });
    expect(ctx(w).messages).toEqual([{ role: 'user', content: 'again, fresh' }]);
    w.send('effect.result', { effectId: '5.1', value: llmReply('pear') });
    expect(w.state).toBe('done');
    // clear: false is a plain follow-up
    w.send('agent.message', { text: 'and one more?', clear: false });
    expect(ctx(w).messages.map((m) => m.content)).toEqual(['again, fresh', 'pear', 'and one more?']);
  });

  it('a coordinator hears about the task once, not about follow-ups', () => {
    const w = walker(agentMachine);
    w.send('task.submit', { prompt: 'p', parent: { kind: 'coordinator', id: 'c1', ref: 'e1' } });
    const first = w.send('effect.result', { effectId: '1.0', value: llmReply('a') });
    expect(first.effects.map((e) => e.kind)).toEqual(['actor.send']);
    w.send('agent.message', { text: 'more' });
    const second = w.send('effect.result', { effectId: '3.0', value: llmReply('b') });
    expect(second.effects).toEqual([]);
  });

  it("a follow-up's script plays after the steps already played, and it gets its own step budget", () => {
    const w = walker(agentMachine);
    w.send('task.submit', { prompt: 'p', maxSteps: 2, script: [{ text: 'x' }] });
    w.send('effect.result', { effectId: '1.0', value: llmReply('x') });
    w.send('agent.message', { text: 'use a tool', script: [{ text: 'y' }] });
    expect(ctx(w).script).toEqual([{ text: 'x' }, { text: 'y' }]);
    const read = { id: 'c1', name: 'read_file', input: { path: 'a' } };
    const t = w.send('effect.result', { effectId: '3.0', value: llmReply('reading', [read]) });
    // step 2 of the task, but the first of this turn: maxSteps 2 still lets the tool run
    expect(t.effects.map((e) => e.kind)).toEqual(['tool.run']);
  });

  it('refuses a message before the task and after it failed', () => {
    const w = walker(agentMachine);
    const before = w.snapshot;
    w.send('agent.message', { text: 'hello?' });
    expect(w.snapshot).toBe(before);
    w.send('task.submit', { prompt: 'p' });
    w.send('effect.failed', { effectId: '2.0', error: { code: 'MOE_ERR_X', message: 'no', attempts: 1 } });
    expect(w.state).toBe('failed');
    const failed = w.snapshot;
    w.send('agent.message', { text: 'still there?' });
    expect(w.snapshot).toBe(failed);
  });

  it('a snapshot stored when done was final restores into a done agent that takes a follow-up', () => {
    const expected = JSON.parse(
      readFileSync(resolve(import.meta.dirname, '..', 'fixtures', 'demo-session-v1.expected.json'), 'utf8'),
    ) as Record<string, { snapshot: { status: string; value: string } }>;
    const [, stored] = Object.entries(expected).find(([k]) => k.includes('.agent.'))!;
    expect(stored.snapshot).toMatchObject({ status: 'done', value: 'done' });
    const host = new MachineHost(agentMachine);
    const restored = host.restore(stored.snapshot);
    expect(statusOf(restored)).toBe('done');
    expect(host.persist(restored)).toEqual(stored.snapshot);
    const event = {
      type: 'agent.message',
      data: { text: 'one more thing' },
      id: 'm1',
      at: 1,
      turn: 99,
      session: 's',
    };
    const out = host.apply(restored, event);
    expect(out.accepted).toBe(true);
    expect(out.next.value).toBe('thinking');
    expect(out.effects).toEqual([
      { id: '99.0', kind: 'llm.call', profile: 'default', step: expect.any(Number) },
    ]);
  });
});
