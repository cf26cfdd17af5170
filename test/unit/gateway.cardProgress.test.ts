/**
 * A card's workflow progress (seed 002's 0–100 agent-run progress), folded from the card's
 * journaled events: the share of the workflow's agent steps that finished, a parallel step counting
 * each agent; 100 when the workflow completed or waits for approval; kept where it stopped when a
 * step failed or the workflow was cancelled; a new workflow starts again at 0.
 */
import { describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../schemas/index.js';
import { cardView, type CardView } from '../../gateway/boardViews.js';
import type { SeqRecord } from '../../gateway/bus.js';
import { CARD_ADDR, cardRecords } from './cardView.kit.js';

const addr = CARD_ADDR;
const CARD = 'c1';

const records = (...turns: JournalRecord['events'][]): SeqRecord[] =>
  cardRecords(CARD, 'card.placed', ...turns);

const created = { type: 'card.created', board: 'b1', project: 'p1', lane: 'plan', position: 0, title: 'T' };
const started = (workflow: number, steps: string[][]) => ({
  type: 'workflow.started',
  workflow,
  lane: 'plan',
  steps,
  trigger: 'auto',
});
const run = (workflow: number, step: number, agent: string) => ({
  runId: `w${workflow}s${step}${agent}`,
  lane: 'plan',
  step,
  agent,
  actor: { kind: 'agent', id: `${CARD}-w${workflow}s${step}${agent}` },
});
const runStarted = (w: number, step: number, agent: string) => ({
  type: 'run.started',
  ...run(w, step, agent),
});
const runFinished = (w: number, step: number, agent: string, status = 'completed') => ({
  type: 'run.finished',
  ...run(w, step, agent),
  status,
});
const finished = (workflow: number, status: string) => ({
  type: 'workflow.finished',
  workflow,
  lane: 'plan',
  status,
  summary: 's',
  costMicros: 0,
});

const progressAfter = (...turns: JournalRecord['events'][]) =>
  cardView(CARD, addr, records(...turns))?.workflow ?? null;

describe('card workflow progress', () => {
  it('counts finished agent steps out of all of them, a parallel step agent by agent', () => {
    const steps = [['ceo'], ['front', 'back'], ['review']];
    const begun = [[created], [started(1, steps), runStarted(1, 0, 'ceo')]];
    expect(progressAfter([created])).toBeNull();
    expect(progressAfter(...begun)).toMatchObject({
      status: 'running',
      agents: 4,
      agentsFinished: 0,
      progress: 0,
    });
    const afterCeo = [
      ...begun,
      [runFinished(1, 0, 'ceo'), runStarted(1, 1, 'front'), runStarted(1, 1, 'back')],
    ];
    expect(progressAfter(...afterCeo)).toMatchObject({ agentsFinished: 1, progress: 25 });
    const afterFront = [...afterCeo, [runFinished(1, 1, 'front')]];
    expect(progressAfter(...afterFront)?.progress).toBe(50);
    // a finished run reported twice counts once
    expect(progressAfter(...afterFront, [runFinished(1, 1, 'front')])?.progress).toBe(50);
    const afterBack = [...afterFront, [runFinished(1, 1, 'back'), runStarted(1, 2, 'review')]];
    expect(progressAfter(...afterBack)?.progress).toBe(75);
    const done = progressAfter(...afterBack, [runFinished(1, 2, 'review'), finished(1, 'completed')]);
    expect(done).toMatchObject({
      workflow: 1,
      lane: 'plan',
      status: 'completed',
      agentsFinished: 4,
      progress: 100,
    });
    expect(done?.steps).toEqual(steps);
  });

  it('stops where a failed step left it, and starts again at 0 with the next workflow', () => {
    const steps = [['a'], ['b'], ['c']];
    const failed = [
      [created],
      [started(1, steps), runStarted(1, 0, 'a')],
      [runFinished(1, 0, 'a', 'failed'), finished(1, 'failed')],
    ];
    expect(progressAfter(...failed)).toMatchObject({ status: 'failed', agentsFinished: 1, progress: 33 });
    const again = progressAfter(...failed, [started(2, steps), runStarted(2, 0, 'a')]);
    expect(again).toMatchObject({ workflow: 2, status: 'running', agentsFinished: 0, progress: 0 });
  });

  it('is 100 while the card waits for a person, and keeps its steps when cancelled', () => {
    const steps = [['a'], ['b']];
    const waiting = progressAfter(
      [created],
      [started(1, steps), runStarted(1, 0, 'a')],
      [runFinished(1, 0, 'a'), runStarted(1, 1, 'b')],
      [runFinished(1, 1, 'b'), finished(1, 'awaiting_approval')],
    );
    expect(waiting).toMatchObject({ status: 'awaiting_approval', progress: 100 });
    const cancelled: CardView['workflow'] = progressAfter(
      [created],
      [started(1, steps), runStarted(1, 0, 'a')],
      [runFinished(1, 0, 'a'), runStarted(1, 1, 'b')],
      [finished(1, 'cancelled')],
    );
    expect(cancelled).toMatchObject({ status: 'cancelled', agentsFinished: 1, progress: 50 });
  });
});
