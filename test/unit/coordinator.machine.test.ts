/**
 * The coordinator machine walked with `transition()`: planning, parallel delegation, aggregation
 * (LLM or concatenation), the fail-fast policy on a child failure, and escalation notices.
 */
import { describe, expect, it } from 'vitest';
import { coordinatorMachine, MAX_ESCALATIONS, parsePlan } from '../../actors/index.js';
import { llmReply, usage, walker } from './agent.machineKit.js';

const plan = JSON.stringify({
  subtasks: [
    { prompt: 'research it', profile: 'researcher' },
    { prompt: 'write it', profile: 'writer' },
  ],
});
const done = (ref: string, result: string) => ({
  ref,
  result,
  steps: 1,
  provider: 'scripted',
  usage: usage(3, 2),
  costMicros: 10,
  priceMicros: 50,
});

function planned(extra: Record<string, unknown> = {}, replyExtra: Record<string, unknown> = {}) {
  const w = walker(coordinatorMachine);
  const first = w.send('task.submit', { prompt: 'launch plan', experts: ['researcher', 'writer'], ...extra });
  const t = w.send('effect.result', { effectId: '1.0', value: llmReply(plan, [], replyExtra) });
  return { w, first, t };
}

describe('coordinator', () => {
  it('asks its own llm for a plan, without tools', () => {
    const { first } = planned();
    expect(first.effects).toEqual([expect.objectContaining({ kind: 'llm.call', tools: false, step: 0 })]);
  });

  it('starts every subtask in the same turn as a child agent with a parent', () => {
    const { w, t } = planned();
    expect(w.state).toBe('delegating');
    expect(t.effects).toEqual([
      expect.objectContaining({
        id: '2.0',
        kind: 'actor.send',
        to: { kind: 'agent', child: 'e1' },
        replyTo: true,
        type: 'task.submit',
        data: expect.objectContaining({ profile: 'researcher', parent: { ref: 'e1' } }),
      }),
      expect.objectContaining({
        id: '2.1',
        to: { kind: 'agent', child: 'e2' },
        data: expect.objectContaining({ profile: 'writer', prompt: 'write it' }),
      }),
    ]);
    expect(t.emits.filter((e) => e.type === 'subtask.started')).toHaveLength(2);
  });

  it('aggregates with an llm call once all children completed, and totals their costs', () => {
    const { w } = planned();
    w.send('subtask.completed', done('e2', 'prose'));
    expect(w.state).toBe('delegating');
    const t = w.send('subtask.completed', done('e1', 'facts'));
    expect(w.state).toBe('aggregating');
    expect(t.effects).toEqual([expect.objectContaining({ kind: 'llm.call', step: 1 })]);
    const end = w.send('effect.result', { effectId: t.effects[0]?.id, value: llmReply('combined') });
    expect(w.state).toBe('done');
    expect(end.emits.find((e) => e.type === 'task.completed')).toMatchObject({
      result: 'combined',
      subtasks: 2,
      costMicros: 35 + 20 + 35,
      priceMicros: 175 + 100 + 175,
    });
  });

  it('concatenates the results when the plan came from scripted with no aggregation step', () => {
    const { w } = planned({}, { provider: 'scripted', costMicros: 0, priceMicros: 0 });
    w.send('subtask.completed', done('e1', 'facts'));
    const t = w.send('subtask.completed', done('e2', 'prose'));
    expect(w.state).toBe('done');
    expect(t.effects).toEqual([]);
    const completed = t.emits.find((e) => e.type === 'task.completed');
    expect(completed?.result).toBe('## e1 (researcher)\nfacts\n\n## e2 (writer)\nprose');
  });

  it('fails fast with the child reason and cancels the other children', () => {
    const { w } = planned();
    const t = w.send('subtask.failed', { ref: 'e1', code: 'MOE_ERR_BUDGET_EXCEEDED', reason: 'spent' });
    expect(w.state).toBe('failed');
    expect(t.emits).toContainEqual({
      type: 'task.failed',
      code: 'MOE_ERR_BUDGET_EXCEEDED',
      reason: 'subtask e1 failed: spent',
    });
    expect(t.effects).toEqual([
      expect.objectContaining({
        to: { kind: 'agent', child: 'e2' },
        type: 'task.cancel',
        data: expect.objectContaining({ byParent: true }),
      }),
    ]);
  });

  it('skips planning when the subtasks are given', () => {
    const w = walker(coordinatorMachine);
    const t = w.send('task.submit', {
      prompt: 'p',
      subtasks: [{ prompt: 'a' }, { prompt: 'b', profile: 'x' }],
      aggregate: 'concat',
    });
    expect(w.state).toBe('delegating');
    expect(t.effects.map((e) => e.kind)).toEqual(['actor.send', 'actor.send']);
  });

  it('gives every expert the whole task when the reply holds no plan', () => {
    const w = walker(coordinatorMachine);
    w.send('task.submit', { prompt: 'p', experts: ['a', 'b'] });
    const t = w.send('effect.result', { effectId: '1.0', value: llmReply('no json here') });
    expect(w.state).toBe('delegating');
    expect(t.emits.map((e) => e.type)).toContain('plan.fallback');
  });

  it('fails with MOE_ERR_PLAN_INVALID when there is neither a plan nor an expert', () => {
    const w = walker(coordinatorMachine);
    w.send('task.submit', { prompt: 'p' });
    const t = w.send('effect.result', { effectId: '1.0', value: llmReply('no json here') });
    expect(w.state).toBe('failed');
    expect(t.emits.find((e) => e.type === 'task.failed')).toMatchObject({ code: 'MOE_ERR_PLAN_INVALID' });
  });

  it('keeps an escalation notice in any running state, journals it, and stays where it was', () => {
    const { w } = planned();
    const notice = (i: number) => ({
      escalation: `esc${i}`,
      actor: 'o.w.agent.c1-e1',
      code: 'MOE_ERR_UNKNOWN_COMMAND',
      reason: 'no.such.command',
      commandId: `x#r${i}`,
      restarts: 1,
      at: 1_700_000_000_000 + i,
    });
    const t = w.send('escalation.notice', notice(0));
    expect(w.state).toBe('delegating');
    expect(t.effects).toEqual([]);
    expect(t.emits).toEqual([
      {
        type: 'escalation.noticed',
        escalation: 'esc0',
        actor: 'o.w.agent.c1-e1',
        code: 'MOE_ERR_UNKNOWN_COMMAND',
        reason: 'no.such.command',
        restarts: 1,
        at: 1_700_000_000_000,
      },
    ]);
    for (let i = 1; i <= MAX_ESCALATIONS + 4; i++) w.send('escalation.notice', notice(i));
    const kept = (w.snapshot.context as { escalations: { escalation: string }[] }).escalations;
    expect(kept).toHaveLength(MAX_ESCALATIONS);
    expect(kept.at(-1)?.escalation).toBe(`esc${MAX_ESCALATIONS + 4}`);
    expect(kept[0]?.escalation).toBe('esc5');
    // a final coordinator takes no notice
    w.send('task.cancel', {});
    const after = w.send('escalation.notice', notice(99));
    expect(after.emits).toEqual([]);
  });

  it('ignores a report from a child it does not know', () => {
    const { w } = planned();
    const before = w.snapshot;
    w.send('subtask.completed', done('e9', 'x'));
    expect(w.snapshot).toBe(before);
  });
});

describe('plan parsing', () => {
  it('reads the JSON plan out of surrounding prose and maps unknown profiles to the first expert', () => {
    expect(
      parsePlan(`Sure!\n{"subtasks":[{"prompt":"a","profile":"ghost"},{"prompt":""}]}\nDone.`, ['x', 'y']),
    ).toEqual([{ prompt: 'a', profile: 'x' }]);
  });

  it('drops malformed script steps so the child command stays valid', () => {
    const out = parsePlan(
      JSON.stringify({
        subtasks: [{ prompt: 'a', script: [{ text: 't', delayMs: -1, toolCalls: [{ name: 'n' }] }] }],
      }),
      [],
    );
    expect(out).toEqual([{ prompt: 'a', script: [{ text: 't', toolCalls: [] }] }]);
  });
});
