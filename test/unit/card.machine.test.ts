/**
 * The card machine walked with `transition()`: creation from the board's placement, lane workflows
 * (autoTrigger sequence with the previous agents' output, parallel join, manualTrigger), exit
 * criteria (exit lane, failure lane, blocked, approval), and placements applied in `seq` order.
 */
import { describe, expect, it } from 'vitest';
import { cardMachine, type CardContext } from '../../actors/index.js';
import { usage, walker } from './agent.machineKit.js';

const CARD = 'w0123456789abcdef-p0123456789abcdef-c0123456789abcdef';

const workflows = {
  plan: {
    autoTrigger: 'ceo',
    sequence: ['ceo', 'strategy', 'storyboard'],
    exitCriteria: 'blueprint_done',
    exitLane: 'build',
  },
  build: { manualTrigger: ['backend', 'frontend'], parallel: true, failureLane: 'plan' },
  review: { autoTrigger: 'reviewer', exitCriteria: 'approved', exitLane: 'done' },
  fragile: { autoTrigger: 'flaky' },
  arch: {
    autoTrigger: 'architect',
    sequence: ['architect', 'editor'],
    exitCriteria: 'file:docs/arch.md',
    exitLane: 'done',
  },
  notes: { autoTrigger: 'scribe', exitCriteria: 'files_written', exitLane: 'done', failureLane: 'todo' },
  prd: { autoTrigger: 'pm', cardsTo: 'backlog', exitCriteria: 'cards_created', exitLane: 'done' },
};
const config = { workflows, agents: [{ name: 'ceo', profile: 'default', maxSteps: 4 }] };

const placed = (lane: string, seq: number, extra: Record<string, unknown> = {}) => ({
  card: CARD,
  board: 'b1',
  project: 'p1',
  lane,
  position: 0,
  seq,
  ...extra,
});
const done = (ref: string, result: string, costMicros = 10) => ({
  ref,
  result,
  steps: 1,
  provider: 'scripted',
  usage: usage(3, 2),
  costMicros,
  priceMicros: costMicros * 5,
});
const ctx = (w: ReturnType<typeof walker>) => w.snapshot.context as CardContext;

function createdIn(lane: string) {
  const w = walker(cardMachine);
  const t = w.send('card.placed', placed(lane, 1, { title: 'Launch', description: 'a new product', config }));
  return { w, t };
}

describe('card', () => {
  it('is created by its first placement and emits card.created', () => {
    const { w, t } = createdIn('todo');
    expect(w.state).toBe('idle');
    expect(t.emits).toEqual([
      {
        type: 'card.created',
        board: 'b1',
        project: 'p1',
        lane: 'todo',
        position: 0,
        title: 'Launch',
        description: 'a new product',
      },
    ]);
    expect(t.effects).toEqual([]);
    expect(ctx(w)).not.toHaveProperty('assignee');
  });

  it('takes the assignee its placement carries', () => {
    const w = walker(cardMachine);
    const t = w.send('card.placed', placed('todo', 1, { title: 'Launch', assignee: 'ada' }));
    expect(t.emits[0]).toMatchObject({ type: 'card.created', title: 'Launch', assignee: 'ada' });
    expect(ctx(w).assignee).toBe('ada');
  });

  it('runs an autoTrigger sequence one agent at a time, each with the previous output, then asks to move on', () => {
    const { w, t } = createdIn('plan');
    expect(w.state).toBe('running');
    expect(t.emits.map((e) => e.type)).toEqual(['card.created', 'workflow.started', 'run.started']);
    expect(t.emits[2]).toEqual({
      type: 'run.started',
      runId: 'w1s0a0',
      lane: 'plan',
      step: 0,
      agent: 'ceo',
      actor: { kind: 'agent', id: `${CARD}-w1s0a0` },
    });
    expect(t.effects).toEqual([
      expect.objectContaining({
        kind: 'actor.send',
        to: { kind: 'agent', child: 'w1s0a0' },
        type: 'task.submit',
        replyTo: true,
        data: expect.objectContaining({
          profile: 'default',
          maxSteps: 4,
          project: 'p1',
          parent: { ref: 'w1s0a0' },
        }),
      }),
    ]);
    const s1 = w.send('subtask.completed', done('w1s0a0', 'the vision'));
    expect(s1.emits.map((e) => e.type)).toEqual(['run.finished', 'run.started']);
    expect(s1.emits[0]).toMatchObject({
      status: 'completed',
      summary: 'the vision',
      costMicros: 10,
      step: 0,
    });
    const prompt = (s1.effects[0]!.data as { prompt: string; profile: string }).prompt;
    expect(prompt).toContain('the vision');
    expect(prompt).toContain('Launch');
    expect(s1.effects[0]).toMatchObject({ to: { child: 'w1s1a0' }, data: { profile: 'default' } });
    const s2 = w.send('subtask.completed', done('w1s1a0', 'the strategy'));
    expect((s2.effects[0]!.data as { prompt: string }).prompt).toMatch(/the vision[\s\S]*the strategy/);
    const s3 = w.send('subtask.completed', done('w1s2a0', 'the storyboard'));
    expect(s3.emits.map((e) => e.type)).toEqual(['run.finished', 'workflow.finished']);
    expect(s3.emits[1]).toMatchObject({
      status: 'completed',
      next: 'build',
      costMicros: 30,
      summary: 'the storyboard',
    });
    expect(s3.effects).toEqual([
      expect.objectContaining({
        to: { kind: 'board', id: 'b1' },
        type: 'card.move',
        data: expect.objectContaining({ card: CARD, lane: 'build', byCard: true, config }),
      }),
    ]);
    expect(w.state).toBe('idle');
    expect(ctx(w).costMicros).toBe(30);
    expect(ctx(w).history.map((h) => [h.agent, h.status])).toEqual([
      ['ceo', 'completed'],
      ['strategy', 'completed'],
      ['storyboard', 'completed'],
    ]);
  });

  it("puts the files an agent wrote (its artifacts) on the step's run.finished and in its history", () => {
    const { w } = createdIn('plan');
    const artifacts = [{ path: 'vision.md', sha256: 'a'.repeat(64), size: 12 }];
    const s = w.send('subtask.completed', { ...done('w1s0a0', 'the vision'), artifacts });
    expect(s.emits[0]).toMatchObject({ type: 'run.finished', runId: 'w1s0a0', artifacts });
    expect(ctx(w).history[0]).toMatchObject({ runId: 'w1s0a0', status: 'completed', artifacts });
    const next = w.send('subtask.completed', done('w1s1a0', 'the strategy'));
    expect(next.emits[0]).not.toHaveProperty('artifacts');
  });

  it('never re-runs a finished step: a repeated report of it is rejected', () => {
    const { w } = createdIn('plan');
    w.send('subtask.completed', done('w1s0a0', 'the vision'));
    const again = w.send('subtask.completed', done('w1s0a0', 'the vision'));
    expect(again.effects).toEqual([]);
    expect(again.emits).toEqual([]);
    expect(ctx(w).run!.step).toBe(1);
  });

  it('runs a parallel manualTrigger lane only when asked, side by side, and joins', () => {
    const { w } = createdIn('build');
    expect(w.state).toBe('idle');
    const t = w.send('agent.run', { agent: 'backend' });
    expect(t.effects.map((e) => (e.to as { child: string }).child)).toEqual(['w1s0a0', 'w1s0a1']);
    expect(t.emits.filter((e) => e.type === 'run.started').map((e) => e.agent)).toEqual([
      'backend',
      'frontend',
    ]);
    const first = w.send('subtask.completed', done('w1s0a1', 'ui'));
    expect(first.emits.map((e) => e.type)).toEqual(['run.finished']);
    expect(w.state).toBe('running');
    const join = w.send('subtask.completed', done('w1s0a0', 'api'));
    expect(join.emits.at(-1)).toMatchObject({ type: 'workflow.finished', status: 'completed' });
    expect(w.state).toBe('idle');
  });

  it('on a failed step stops the rest of the step and asks to go to the failure lane', () => {
    const { w } = createdIn('build');
    w.send('agent.run', { agent: 'frontend' });
    const t = w.send('subtask.failed', { ref: 'w1s0a0', code: 'MOE_ERR_PROVIDER', reason: 'boom' });
    expect(t.emits.map((e) => [e.type, e.status])).toEqual([
      ['run.finished', 'failed'],
      ['run.finished', 'failed'],
      ['workflow.finished', 'failed'],
    ]);
    expect(t.effects).toEqual([
      expect.objectContaining({ to: { kind: 'agent', child: 'w1s0a1' }, type: 'task.cancel' }),
      expect.objectContaining({
        to: { kind: 'board', id: 'b1' },
        type: 'card.move',
        data: expect.objectContaining({ lane: 'plan' }),
      }),
    ]);
  });

  it('is blocked with the reason when a step fails in a lane without a failure lane', () => {
    const { w } = createdIn('fragile');
    const t = w.send('subtask.failed', { ref: 'w1s0a0', code: 'MOE_ERR_PROVIDER', reason: 'boom' });
    expect(w.state).toBe('blocked');
    expect(t.emits.at(-1)).toMatchObject({ type: 'card.blocked', code: 'MOE_ERR_WORKFLOW_STEP_FAILED' });
    expect(ctx(w).blocked!.reason).toContain('boom');
  });

  it('waits for a person through an approval gate task when the exit criteria is approved, then moves on', () => {
    const { w } = createdIn('review');
    const t = w.send('subtask.completed', done('w1s0a0', 'looks good'));
    expect(w.state).toBe('awaiting_approval');
    expect(t.emits.at(-1)).toEqual({
      type: 'card.approval.requested',
      workflow: 1,
      lane: 'review',
      task: `${CARD}-w1ok`,
    });
    expect(t.effects).toEqual([
      expect.objectContaining({
        kind: 'actor.send',
        to: { kind: 'agent', child: 'w1ok' },
        type: 'task.submit',
        replyTo: true,
        data: expect.objectContaining({ approvalGate: { name: 'card_exit' }, parent: { ref: 'w1ok' } }),
      }),
    ]);
    // card.approve forwards to the gate task and changes nothing until the gate reports
    const fwd = w.send('card.approve', { reason: 'ship it' });
    expect(fwd.effects).toEqual([
      expect.objectContaining({
        to: { kind: 'agent', child: 'w1ok' },
        type: 'task.approve',
        data: { callId: 'gate', reason: 'ship it' },
      }),
    ]);
    expect(w.state).toBe('awaiting_approval');
    const a = w.send('subtask.completed', { ...done('w1ok', 'approved: ship it', 0), steps: 0 });
    expect(a.emits[0]).toEqual({ type: 'card.approval.decided', approved: true, reason: 'ship it' });
    expect(a.effects).toEqual([
      expect.objectContaining({ type: 'card.move', data: expect.objectContaining({ lane: 'done' }) }),
    ]);
    expect(w.state).toBe('idle');
  });

  it('is blocked when a person denies the gate task', () => {
    const { w } = createdIn('review');
    w.send('subtask.completed', done('w1s0a0', 'meh'));
    const d = w.send('card.deny', { reason: 'not good enough' });
    expect(d.effects).toEqual([expect.objectContaining({ type: 'task.deny' })]);
    w.send('subtask.failed', { ref: 'w1ok', code: 'MOE_ERR_WORKFLOW_DENIED', reason: 'not good enough' });
    expect(w.state).toBe('blocked');
    expect(ctx(w).blocked).toMatchObject({ code: 'MOE_ERR_WORKFLOW_DENIED' });
    expect(ctx(w).blocked!.reason).toContain('not good enough');
  });

  it('cancels its gate task when it is moved out of the lane while waiting', () => {
    const { w } = createdIn('review');
    w.send('subtask.completed', done('w1s0a0', 'ok'));
    const m = w.send('card.placed', placed('todo', 2));
    expect(m.effects).toEqual([
      expect.objectContaining({ to: { kind: 'agent', child: 'w1ok' }, type: 'task.cancel' }),
    ]);
    expect(w.state).toBe('idle');
  });

  it('moved to another lane mid-run: cancels the running agents and starts the new lane', () => {
    const { w } = createdIn('plan');
    const t = w.send('card.placed', placed('review', 2));
    expect(t.emits.map((e) => e.type)).toEqual([
      'card.moved',
      'run.finished',
      'workflow.finished',
      'workflow.started',
      'run.started',
    ]);
    expect(t.effects.map((e) => e.type)).toEqual(['task.cancel', 'task.submit']);
    expect(ctx(w).lane).toBe('review');
    expect(ctx(w).run).toMatchObject({ workflow: 2, lane: 'review' });
  });

  it('applies placements in seq order: an older one that arrives late is ignored', () => {
    const { w } = createdIn('todo');
    w.send('card.placed', placed('done', 3));
    const late = w.send('card.placed', placed('doing', 2));
    expect(late.emits).toEqual([]);
    expect(ctx(w).lane).toBe('done');
  });

  it('moves on from a file:<path> lane only when one of its agents wrote that file, and tells them so', () => {
    const file = (path: string) => [{ path, sha256: 'b'.repeat(64), size: 3 }];
    const { w, t } = createdIn('arch');
    expect((t.effects[0]!.data as { prompt: string }).prompt).toContain('must write the file docs/arch.md');
    // the first agent writes it (under the project folder), the second writes something else
    w.send('subtask.completed', {
      ...done('w1s0a0', 'drafted'),
      artifacts: file('projects/p1/docs/arch.md'),
    });
    const end = w.send('subtask.completed', { ...done('w1s1a0', 'edited'), artifacts: file('notes.md') });
    expect(end.emits.map((e) => e.type)).toEqual(['run.finished', 'workflow.finished']);
    expect(end.emits[1]).toMatchObject({ status: 'completed', next: 'done' });
    expect(end.effects.at(-1)).toMatchObject({ type: 'card.move', data: { lane: 'done', byCard: true } });

    const other = createdIn('arch').w;
    other.send('subtask.completed', { ...done('w1s0a0', 'drafted'), artifacts: file('docs/other.md') });
    const unmet = other.send('subtask.completed', done('w1s1a0', 'edited'));
    expect(unmet.emits.map((e) => e.type)).toEqual(['run.finished', 'workflow.finished', 'card.blocked']);
    expect(unmet.emits[1]).toMatchObject({ status: 'failed' });
    expect(other.state).toBe('blocked');
    expect(ctx(other).blocked).toEqual({
      code: 'MOE_ERR_EXIT_CRITERIA_UNMET',
      reason: 'exitCriteria file:docs/arch.md: the agents did not write docs/arch.md',
    });
    expect(unmet.effects.filter((e) => e.type === 'card.move')).toEqual([]);
  });

  it('sends a files_written lane that wrote nothing to its failure lane', () => {
    const { w } = createdIn('notes');
    const end = w.send('subtask.completed', done('w1s0a0', 'thought about it'));
    expect(end.emits[1]).toMatchObject({ type: 'workflow.finished', status: 'failed', next: 'todo' });
    expect(end.effects.at(-1)).toMatchObject({ type: 'card.move', data: { lane: 'todo' } });
    const wrote = createdIn('notes').w;
    const ok = wrote.send('subtask.completed', {
      ...done('w1s0a0', 'wrote it'),
      artifacts: [{ path: 'n.md', sha256: 'c'.repeat(64), size: 1 }],
    });
    expect(ok.emits[1]).toMatchObject({ type: 'workflow.finished', status: 'completed', next: 'done' });
  });

  it('puts the cards its agents create on its board in the cardsTo lane, and moves on once they did (cards_created)', () => {
    const { w, t } = createdIn('prd');
    const submit = t.effects[0]!.data as { prompt: string; createCards?: { lane: string } };
    expect(submit.createCards).toEqual({ lane: 'backlog' });
    expect(submit.prompt).toContain('create_card');
    const agent = `${CARD}-w1s0a0`;
    const newCard = CARD.replace(/c[0-9a-f]{16}$/, 'c00000000000000a1');
    const made = w.send('card.create', { card: newCard, title: 'Sign-up', description: 'email', by: agent });
    expect(made.emits).toEqual([
      { type: 'card.spawned', card: newCard, lane: 'backlog', title: 'Sign-up', by: agent },
    ]);
    expect(made.effects).toEqual([
      expect.objectContaining({
        kind: 'actor.send',
        to: { kind: 'board', id: 'b1' },
        type: 'card.add',
        data: {
          card: newCard,
          lane: 'backlog',
          title: 'Sign-up',
          description: 'email',
          config,
          createdBy: { card: CARD, workflow: 1 },
        },
      }),
    ]);
    const end = w.send('subtask.completed', done('w1s0a0', 'one feature'));
    expect(end.emits[1]).toMatchObject({ type: 'workflow.finished', status: 'completed', next: 'done' });

    // an agent that created nothing leaves the card blocked
    const idle = createdIn('prd').w;
    idle.send('subtask.completed', done('w1s0a0', 'no features'));
    expect(ctx(idle).blocked).toEqual({
      code: 'MOE_ERR_EXIT_CRITERIA_UNMET',
      reason: 'exitCriteria cards_created: the agents created no card',
    });
  });

  it('journals a card its board refused (card.spawn.refused), which then does not count for cards_created', () => {
    const { w } = createdIn('prd');
    const agent = `${CARD}-w1s0a0`;
    const newCard = CARD.replace(/c[0-9a-f]{16}$/, 'c00000000000000c3');
    w.send('card.create', { card: newCard, title: 'Sign-up', by: agent });
    const refused = {
      card: newCard,
      lane: 'backlog',
      code: 'MOE_ERR_WIP_LIMIT',
      reason: 'lane backlog is full',
    };
    // a refusal for another workflow run of this card changes nothing but the journal
    w.send('card.spawn.refused', { ...refused, workflow: 7 });
    expect(ctx(w).run?.cards).toBe(1);
    const t = w.send('card.spawn.refused', { ...refused, workflow: 1 });
    expect(t.emits).toEqual([{ type: 'card.spawn.refused', ...refused }]);
    expect(ctx(w).run?.cards).toBe(0);
    w.send('subtask.completed', done('w1s0a0', 'one feature, refused'));
    expect(ctx(w).blocked).toEqual({
      code: 'MOE_ERR_EXIT_CRITERIA_UNMET',
      reason: 'exitCriteria cards_created: the agents created no card',
    });
  });

  it('refuses card.create from outside the running step, without cardsTo, or for a card of another project', () => {
    const refusal = (w: ReturnType<typeof walker>, data: Record<string, unknown>) => {
      const t = w.send('card.create', data);
      expect(t.effects).toEqual([]);
      expect(t.emits).toEqual([
        expect.objectContaining({ type: 'card.create.refused', code: 'MOE_ERR_CARD_CREATE_REFUSED' }),
      ]);
      return (t.emits[0] as { reason: string }).reason;
    };
    const newCard = CARD.replace(/c[0-9a-f]{16}$/, 'c00000000000000b2');
    const { w } = createdIn('prd');
    expect(refusal(w, { card: newCard, title: 'x', by: `${CARD}-w9s0a0` })).toContain('not an agent');
    const otherProject = newCard.replace(/-p[0-9a-f]{16}-/, '-p1111111111111111-');
    expect(refusal(w, { card: otherProject, title: 'x', by: `${CARD}-w1s0a0` })).toContain('not a new card');
    const plan = createdIn('plan').w;
    expect(refusal(plan, { card: newCard, title: 'x', by: `${CARD}-w1s0a0` })).toBe(
      'lane plan names no cardsTo',
    );
    const idle = createdIn('todo').w;
    expect(refusal(idle, { card: newCard, title: 'x', by: `${CARD}-w1s0a0` })).toContain('not an agent');
  });

  it('is blocked when its board refuses the move it asked for', () => {
    const { w } = createdIn('todo');
    w.send('card.refused', { lane: 'doing', code: 'MOE_ERR_WIP_LIMIT', reason: 'full' });
    expect(w.state).toBe('blocked');
    expect(ctx(w).blocked).toMatchObject({ code: 'MOE_ERR_WIP_LIMIT' });
  });

  it('updates its text and assignee, and is deleted for good', () => {
    const { w } = createdIn('plan');
    expect(w.send('card.update', { title: 'Relaunch' }).emits).toEqual([
      { type: 'card.updated', title: 'Relaunch' },
    ]);
    expect(ctx(w).assignee ?? null).toBeNull();
    expect(w.send('card.update', { assignee: 'u-ada' }).emits).toEqual([
      { type: 'card.updated', assignee: 'u-ada' },
    ]);
    expect(ctx(w)).toMatchObject({ title: 'Relaunch', assignee: 'u-ada' });
    expect(w.send('card.update', { assignee: null }).emits).toEqual([
      { type: 'card.updated', assignee: null },
    ]);
    expect(ctx(w).assignee).toBeNull();
    const del = w.send('card.delete', {});
    expect(del.emits.map((e) => e.type)).toEqual(['run.finished', 'workflow.finished', 'card.deleted']);
    expect(del.effects.map((e) => e.type)).toEqual(['task.cancel']);
    expect(w.snapshot.status).toBe('done');
  });
});
