/**
 * The agent machine's approval step, cost accounting and parent reporting, walked with
 * `transition()`: pure, no kernel, no I/O.
 */
import { describe, expect, it } from 'vitest';
import { agentMachine } from '../../actors/index.js';
import { llmReply, walker } from './agent.machineKit.js';

const shell = { id: 'call-1', name: 'shell', input: { command: 'ls' } };
const read = { id: 'call-2', name: 'read_file', input: { path: 'a' } };

function awaiting(approvalRequired: string[] = ['shell'], calls = [shell, read]) {
  const w = walker(agentMachine);
  w.send('task.submit', { prompt: 'tidy up', approvalRequired });
  const t = w.send('effect.result', { effectId: '1.0', value: llmReply('I will run a command', calls) });
  return { w, t };
}

describe('agent approval', () => {
  it('waits in awaiting_approval and starts no tool when a call needs approval', () => {
    const { w, t } = awaiting();
    expect(w.state).toBe('awaiting_approval');
    expect(t.effects).toEqual([]);
    expect(t.emits.find((e) => e.type === 'approval.requested')).toMatchObject({
      callIds: ['call-1'],
      tools: ['shell'],
    });
  });

  it('also waits when the node flagged the tool in the llm reply', () => {
    const w = walker(agentMachine);
    w.send('task.submit', { prompt: 'p' });
    w.send('effect.result', { effectId: '1.0', value: llmReply('t', [read], { approval: ['read_file'] }) });
    expect(w.state).toBe('awaiting_approval');
  });

  it('runs approved calls together with the calls that needed no approval', () => {
    const { w } = awaiting();
    const t = w.send('task.approve', {});
    expect(w.state).toBe('acting');
    expect(t.effects.map((e) => [e.kind, e.name, e.approved])).toEqual([
      ['tool.run', 'shell', true],
      ['tool.run', 'read_file', undefined],
    ]);
    expect(t.emits).toContainEqual({
      type: 'approval.decided',
      callId: 'call-1',
      tool: 'shell',
      approved: true,
    });
  });

  it('answers a denied call to the model as an error tool result and runs the rest', () => {
    const { w } = awaiting();
    const t = w.send('task.deny', { callId: 'call-1', reason: 'no shell today' });
    expect(w.state).toBe('acting');
    expect(t.effects.map((e) => e.name)).toEqual(['read_file']);
    const ctx = w.snapshot.context as { messages: { role: string; content: string; isError?: boolean }[] };
    expect(ctx.messages.at(-1)).toMatchObject({
      role: 'tool',
      content: 'denied: no shell today',
      isError: true,
    });
  });

  it('asks the model again at once when every call was denied', () => {
    const { w } = awaiting(['shell'], [shell]);
    const t = w.send('task.deny', {});
    expect(w.state).toBe('thinking');
    expect(t.effects).toEqual([expect.objectContaining({ kind: 'llm.call', step: 1 })]);
  });

  it('keeps waiting until every pending call is decided', () => {
    const { w } = awaiting(['shell', 'read_file']);
    w.send('task.approve', { callId: 'call-2' });
    expect(w.state).toBe('awaiting_approval');
    w.send('task.deny', { callId: 'call-1' });
    expect(w.state).toBe('acting');
  });

  it('rejects an approval that names no pending call (the state does not change)', () => {
    const { w } = awaiting();
    const before = w.snapshot;
    w.send('task.approve', { callId: 'nope' });
    expect(w.snapshot).toBe(before);
  });

  it('rejects task.approve when nothing waits for approval', () => {
    const w = walker(agentMachine);
    w.send('task.submit', { prompt: 'p' });
    const before = w.snapshot;
    w.send('task.approve', {});
    expect(w.snapshot).toBe(before);
  });

  it('can be cancelled while it waits', () => {
    const { w } = awaiting();
    const t = w.send('task.cancel', { reason: 'changed my mind' });
    expect(w.state).toBe('cancelled');
    expect(t.emits).toContainEqual({ type: 'task.failed', code: 'cancelled', reason: 'changed my mind' });
  });
});

describe('agent costs and parent', () => {
  it('sums exact cost and price over calls into task.completed', () => {
    const w = walker(agentMachine);
    w.send('task.submit', { prompt: 'p' });
    w.send('effect.result', { effectId: '1.0', value: llmReply('look', [read]) });
    w.send('effect.result', { effectId: '2.0', value: { callId: 'call-2', output: 'x', isError: false } });
    const t = w.send('effect.result', {
      effectId: '3.0',
      value: llmReply('done', [], { costMicros: 7, priceMicros: 35 }),
    });
    expect(w.state).toBe('done');
    expect(t.emits.find((e) => e.type === 'task.completed')).toMatchObject({
      costMicros: 42,
      priceMicros: 210,
      usage: { inputTokens: 20, outputTokens: 10 },
    });
    expect(t.emits.find((e) => e.type === 'usage.recorded')).toMatchObject({
      effectId: '3.0',
      costMicros: 7,
      priceMicros: 35,
      markup: 5,
    });
  });

  it('reports completion to its parent with an actor.send effect', () => {
    const w = walker(agentMachine);
    w.send('task.submit', { prompt: 'p', parent: { kind: 'coordinator', id: 'c1', ref: 'e2' } });
    const t = w.send('effect.result', { effectId: '1.0', value: llmReply('answer') });
    expect(t.effects).toEqual([
      expect.objectContaining({
        kind: 'actor.send',
        to: { kind: 'coordinator', id: 'c1' },
        type: 'subtask.completed',
        data: expect.objectContaining({ ref: 'e2', result: 'answer', costMicros: 35 }),
      }),
    ]);
  });

  it('reports a failure to its parent, but not a cancellation the parent asked for', () => {
    const parent = { kind: 'coordinator', id: 'c1', ref: 'e1' };
    const a = walker(agentMachine);
    a.send('task.submit', { prompt: 'p', parent });
    const failed = a.send('effect.failed', {
      effectId: '1.0',
      error: { code: 'MOE_ERR_BUDGET_EXCEEDED', message: 'spent' },
    });
    expect(a.state).toBe('failed');
    expect(failed.effects[0]).toMatchObject({
      type: 'subtask.failed',
      data: { ref: 'e1', code: 'MOE_ERR_BUDGET_EXCEEDED' },
    });
    const b = walker(agentMachine);
    b.send('task.submit', { prompt: 'p', parent });
    expect(b.send('task.cancel', { byParent: true }).effects).toEqual([]);
  });
});

describe('agent approval gate (task.submit approvalGate)', () => {
  const gate = () => {
    const w = walker(agentMachine);
    const t = w.send('task.submit', {
      prompt: 'approve the card',
      approvalGate: { name: 'card_exit' },
      parent: { kind: 'card', id: 'c1', ref: 'w1ok' },
    });
    return { w, t };
  };

  it('asks for approval at once, with no model call, like a task waiting for a tool', () => {
    const { w, t } = gate();
    expect(w.state).toBe('gate_awaiting_approval');
    expect(t.effects).toEqual([]);
    expect(t.emits.map((e) => e.type)).toEqual(['task.accepted', 'approval.requested']);
    expect(t.emits[1]).toMatchObject({ callIds: ['gate'], tools: ['card_exit'] });
  });

  it('completes when approved and tells its parent', () => {
    const { w } = gate();
    const t = w.send('task.approve', { reason: 'ship it' });
    expect(w.state).toBe('done');
    expect(t.emits.map((e) => e.type)).toEqual(['approval.decided', 'task.completed']);
    expect(t.effects).toEqual([
      expect.objectContaining({
        type: 'subtask.completed',
        to: { kind: 'card', id: 'c1' },
        data: expect.objectContaining({ ref: 'w1ok', result: 'approved: ship it' }),
      }),
    ]);
  });

  it('fails with MOE_ERR_WORKFLOW_DENIED when denied and tells its parent', () => {
    const { w } = gate();
    const t = w.send('task.deny', { reason: 'no' });
    expect(w.state).toBe('failed');
    expect(t.effects).toEqual([
      expect.objectContaining({
        type: 'subtask.failed',
        data: { ref: 'w1ok', code: 'MOE_ERR_WORKFLOW_DENIED', reason: 'no' },
      }),
    ]);
    expect(w.send('task.approve', {}).emits).toEqual([]);
  });
});
