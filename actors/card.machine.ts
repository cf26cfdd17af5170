/**
 * The `card` actor (seed 002): one card on a board — its lane, text, and the agent workflow of its
 * lane (autoTrigger / sequence / parallel / manualTrigger / exitCriteria, see schemas/boards.ts).
 *
 *   new ──card.placed──▶ idle ──enters a lane with autoTrigger, or agent.run──▶ running
 *   running ──every step completed──▶ (exitCriteria approved ? awaiting_approval : idle, asks its board to move it on)
 *   running ──a step failed──▶ (failureLane ? idle, asks to be moved there : blocked)
 *   awaiting_approval ──its gate task approved──▶ idle (moved on) │ ──denied──▶ failureLane or blocked
 *     (the gate is an agent actor started with `approvalGate`: a person decides it like any task
 *     waiting for approval — task.approve / task.deny, the console — and the wait survives restarts;
 *     card.approve / card.deny forward to it)
 *   any ──card.placed to another lane──▶ the running workflow is cancelled, the new lane's starts
 *   any ──card.delete──▶ deleted (final)
 *
 * Positions are the board's (the board actor is the only writer of lanes and order); the card
 * applies the board's placements in `seq` order and ignores an older one.
 *
 * Results: each finished step's `run.finished` carries its summary, cost and the files its agent
 * wrote (`artifacts`, reported by the agent with `subtask.completed`); the run's journal is the
 * agent actor's (the gateway links it).
 *
 * Durability: each agent step runs as its own `agent` actor, started by an `actor.send` effect
 * (`task.submit` with a `parent`), exactly as the MoE coordinator starts its experts: the send is
 * re-driven with the same id after a crash (the agent dedupes it), and the agent reports back with
 * `subtask.completed` / `subtask.failed`. A finished step is journaled here before the next step is
 * sent, so a node killed mid-sequence resumes at the step it was in and never re-runs a finished one.
 */
import { enqueueActions, setup } from 'xstate';
import {
  projectIdPrefix,
  type ArtifactRef,
  type CardCommands,
  type CardConfig,
  type SystemCommands,
} from '../schemas/index.js';
import type { Enqueue } from './agentReply.js';
import {
  agentSubmit,
  autoAgents,
  cardPrompt,
  exitCriterion,
  manualAgents,
  MAX_SUMMARY,
  shorten,
  stepsOf,
  unmetExit,
  type StepOutput,
} from './cardWorkflow.js';
import type { CommandEvents } from './commandEvents.js';
import { fx, kernelActions } from './contract.js';
import { noInputs, type EffectInputs } from './effects.js';
import { machineErrors } from './errors.js';

/** How many cards one workflow's agents may create (card.create past it is refused). */
export const MAX_CARDS_PER_WORKFLOW = 50;

/** How many finished agent steps a card keeps in its state (all of them stay in its journal). */
export const MAX_RUN_HISTORY = 200;

export type CardPhase = 'new' | 'idle' | 'running' | 'awaiting_approval' | 'blocked' | 'deleted';

export interface RunAgent {
  ref: string;
  agent: string;
  actor: string;
  status: 'running' | 'completed' | 'failed';
  result: string | null;
  costMicros: number;
}

export interface WorkflowRun {
  workflow: number;
  lane: string;
  steps: string[][];
  step: number;
  trigger: 'auto' | 'manual';
  agents: RunAgent[];
  outputs: StepOutput[];
  costMicros: number;
  /** the ref of the approval gate agent waiting for a person (exitCriteria `approved`) */
  gate?: string;
  /** cards this workflow's agents created (card.create; absent: none) */
  cards?: number;
}

export interface RunRecord {
  runId: string;
  workflow: number;
  lane: string;
  step: number;
  agent: string;
  actor: string;
  status: 'running' | 'completed' | 'failed';
  summary: string | null;
  costMicros: number;
  /** files the step's agent wrote (absent: none) */
  artifacts?: ArtifactRef[];
}

export interface CardContext {
  phase: CardPhase;
  id: string;
  board: string;
  project: string;
  title: string;
  description: string;
  /** who the card is for (card.update); null: nobody. Absent in snapshots from before it existed */
  assignee?: string | null;
  lane: string;
  position: number;
  seq: number;
  config: CardConfig | null;
  workflows: number;
  run: WorkflowRun | null;
  history: RunRecord[];
  blocked: { code: string; reason: string } | null;
  summary: string | null;
  costMicros: number;
}

type CardEvent = CommandEvents<typeof CardCommands> | CommandEvents<typeof SystemCommands>;

export const cardEffectInputs: EffectInputs<CardContext> = { 'actor.send': noInputs };

/** The ref of agent `i` of step `step` of workflow `n`: short, so `<card id>-<ref>` is a subject token. */
const refOf = (n: number, step: number, i: number) => `w${n}s${step}a${i}`;

/** Collects what a turn does, in order, over a context that changes as it goes. */
class Turn {
  private n = 0;
  readonly out: Parameters<Enqueue>[0][] = [];
  constructor(
    public c: CardContext,
    private readonly event: { turn: number },
  ) {}
  emit(params: Record<string, unknown> & { type: string }) {
    this.out.push({ type: 'emit', params } as Parameters<Enqueue>[0]);
  }
  send(
    to: { kind: string; id?: string; child?: string },
    type: string,
    data: Record<string, unknown>,
    replyTo = false,
  ) {
    this.out.push({
      type: 'effect',
      params: {
        id: fx(this.event, this.n++),
        kind: 'actor.send',
        to,
        type,
        data,
        ...(replyTo ? { replyTo: true } : {}),
      },
    } as Parameters<Enqueue>[0]);
  }
  /** Enqueues the turn's effects and events; the caller assigns `c`. */
  flush(enqueue: Enqueue): CardContext {
    for (const a of this.out) enqueue(a);
    return this.c;
  }
}

const workflowOf = (c: CardContext, lane: string) => c.config?.workflows[lane];

function record(c: CardContext, r: RunRecord): RunRecord[] {
  const i = c.history.findIndex((h) => h.runId === r.runId);
  const next = i >= 0 ? c.history.map((h, j) => (j === i ? r : h)) : [...c.history, r];
  return next.slice(-MAX_RUN_HISTORY);
}

function startStep(t: Turn): void {
  const run = t.c.run!;
  const agents = run.steps[run.step] ?? [];
  const started: RunAgent[] = agents.map((agent, i) => {
    const ref = refOf(run.workflow, run.step, i);
    return { ref, agent, actor: `${t.c.id}-${ref}`, status: 'running', result: null, costMicros: 0 };
  });
  for (const a of started) {
    const wf = workflowOf(t.c, run.lane);
    const prompt = cardPrompt(t.c, a.agent, run.outputs, exitCriterion(wf?.exitCriteria), wf?.cardsTo);
    t.send(
      { kind: 'agent', child: a.ref },
      'task.submit',
      agentSubmit(t.c.config, workflowOf(t.c, run.lane), a.agent, prompt, t.c.project, a.ref),
      true,
    );
    const fields = {
      runId: a.ref,
      lane: run.lane,
      step: run.step,
      agent: a.agent,
      actor: { kind: 'agent', id: a.actor },
    };
    t.emit({ type: 'run.started', ...fields });
    t.c = {
      ...t.c,
      history: record(t.c, {
        runId: a.ref,
        workflow: run.workflow,
        lane: run.lane,
        step: run.step,
        agent: a.agent,
        actor: a.actor,
        status: 'running',
        summary: null,
        costMicros: 0,
      }),
    };
  }
  t.c = { ...t.c, run: { ...run, agents: started } };
}

function startWorkflow(t: Turn, steps: string[][], trigger: 'auto' | 'manual'): void {
  if (steps.length === 0) return;
  const workflow = t.c.workflows + 1;
  t.c = {
    ...t.c,
    workflows: workflow,
    phase: 'running',
    blocked: null,
    run: { workflow, lane: t.c.lane, steps, step: 0, trigger, agents: [], outputs: [], costMicros: 0 },
  };
  t.emit({ type: 'workflow.started', workflow, lane: t.c.lane, steps, trigger });
  startStep(t);
}

/** Cancels the agents still running (they do not report back) and ends the workflow as `cancelled`. */
function cancelWorkflow(t: Turn, why: string): void {
  const run = t.c.run;
  if (!run) return;
  if (run.gate) t.send({ kind: 'agent', child: run.gate }, 'task.cancel', { reason: why, byParent: true });
  for (const a of run.agents.filter((x) => x.status === 'running')) {
    t.send({ kind: 'agent', child: a.ref }, 'task.cancel', { reason: why, byParent: true });
    const fields = {
      runId: a.ref,
      lane: run.lane,
      step: run.step,
      agent: a.agent,
      actor: { kind: 'agent', id: a.actor },
    };
    t.emit({ type: 'run.finished', ...fields, status: 'failed', summary: why });
    t.c = { ...t.c, history: record(t.c, { ...historyOf(t.c, a.ref), status: 'failed', summary: why }) };
  }
  t.emit({
    type: 'workflow.finished',
    workflow: run.workflow,
    lane: run.lane,
    status: 'cancelled',
    summary: why,
    costMicros: run.costMicros,
  });
  t.c = { ...t.c, run: null, phase: t.c.phase === 'running' ? 'idle' : t.c.phase };
}

const historyOf = (c: CardContext, ref: string): RunRecord => c.history.find((h) => h.runId === ref)!;

/** Asks the board to move the card to `lane` (the board answers with card.placed or card.refused). */
function moveTo(t: Turn, lane: string): void {
  t.send({ kind: 'board', id: t.c.board }, 'card.move', {
    card: t.c.id,
    lane,
    byCard: true,
    ...(t.c.config ? { config: t.c.config } : {}),
  });
}

function block(t: Turn, code: string, reason: string): void {
  t.c = { ...t.c, phase: 'blocked', blocked: { code, reason } };
  t.emit({ type: 'card.blocked', code, reason });
}

/** A step failed (or a person denied the result): to the failure lane, else blocked. */
function failWorkflow(t: Turn, code: string, reason: string): void {
  const run = t.c.run!;
  const failureLane = workflowOf(t.c, run.lane)?.failureLane;
  t.emit({
    type: 'workflow.finished',
    workflow: run.workflow,
    lane: run.lane,
    status: 'failed',
    summary: shorten(reason, MAX_SUMMARY),
    costMicros: run.costMicros,
    ...(failureLane && failureLane !== t.c.lane ? { next: failureLane } : {}),
  });
  t.c = { ...t.c, run: null, summary: shorten(reason, MAX_SUMMARY) };
  if (failureLane && failureLane !== t.c.lane) {
    t.c = { ...t.c, phase: 'idle' };
    moveTo(t, failureLane);
  } else block(t, code, reason);
}

/** Every step completed: wait for approval, or move on to the exit lane. */
function completeWorkflow(t: Turn): void {
  const run = t.c.run!;
  const wf = workflowOf(t.c, run.lane);
  const summary = shorten(
    run.outputs
      .slice(-(run.steps.at(-1)?.length ?? 1))
      .map((o) => o.result)
      .join('\n\n'),
    MAX_SUMMARY,
  );
  t.c = { ...t.c, summary };
  const criterion = exitCriterion(wf?.exitCriteria);
  const written = t.c.history
    .filter((h) => h.workflow === run.workflow)
    .flatMap((h) => (h.artifacts ?? []).map((a) => a.path));
  const unmet = unmetExit(criterion, { written, cards: run.cards ?? 0 });
  if (unmet) {
    failWorkflow(t, machineErrors.EXIT_CRITERIA_UNMET.spec.code, unmet);
    return;
  }
  if (criterion.kind === 'approved') {
    t.emit({
      type: 'workflow.finished',
      workflow: run.workflow,
      lane: run.lane,
      status: 'awaiting_approval',
      summary,
      costMicros: run.costMicros,
    });
    // a person decides through the approval of a gate task (an agent actor: journaled, survives
    // restarts, listed and decided like any task waiting for approval)
    const gate = `w${run.workflow}ok`;
    t.send(
      { kind: 'agent', child: gate },
      'task.submit',
      {
        prompt: `Approve card "${t.c.title}" to leave lane ${run.lane}:\n\n${summary}`,
        approvalGate: { name: 'card_exit' },
        ...(t.c.project ? { project: t.c.project } : {}),
        parent: { ref: gate },
      },
      true,
    );
    t.emit({
      type: 'card.approval.requested',
      workflow: run.workflow,
      lane: run.lane,
      task: `${t.c.id}-${gate}`,
    });
    t.c = { ...t.c, phase: 'awaiting_approval', run: { ...run, gate } };
    return;
  }
  const next = wf?.exitLane && wf.exitLane !== t.c.lane ? wf.exitLane : undefined;
  t.emit({
    type: 'workflow.finished',
    workflow: run.workflow,
    lane: run.lane,
    status: 'completed',
    summary,
    costMicros: run.costMicros,
    ...(next ? { next } : {}),
  });
  t.c = { ...t.c, run: null, phase: 'idle' };
  if (next) moveTo(t, next);
}

/** A person decided: move on to the exit lane, or fail the workflow (failure lane or blocked). */
function decided(t: Turn, approved: boolean, reason: string | undefined): void {
  t.emit({ type: 'card.approval.decided', approved, ...(reason ? { reason } : {}) });
  if (!approved) {
    failWorkflow(t, machineErrors.APPROVAL_DENIED.spec.code, `denied: ${reason ?? 'no reason given'}`);
    return;
  }
  const next = workflowOf(t.c, t.c.lane)?.exitLane;
  t.c = { ...t.c, run: null, phase: 'idle' };
  if (next && next !== t.c.lane) moveTo(t, next);
}

const isCurrentAgent = (c: CardContext, ref: string) =>
  c.run?.agents.some((a) => a.ref === ref && a.status === 'running') ?? false;

const fieldsOf = (run: WorkflowRun, a: RunAgent) => ({
  runId: a.ref,
  lane: run.lane,
  step: run.step,
  agent: a.agent,
  actor: { kind: 'agent', id: a.actor },
});

const phaseIs =
  (phase: CardPhase) =>
  ({ context }: { context: CardContext }) =>
    context.phase === phase;

/** After any turn the machine's state is the context's phase. */
const toPhase = (['idle', 'running', 'awaiting_approval', 'blocked', 'deleted'] as const).map((p) => ({
  guard: phaseIs(p),
  target: `#card.${p}`,
}));

export const cardMachine = setup({
  types: { context: {} as CardContext, events: {} as CardEvent },
  actions: {
    ...kernelActions,
    placed: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'card.placed') return;
      const d = event.data;
      const t = new Turn({ ...context, seq: d.seq, ...(d.config ? { config: d.config } : {}) }, event);
      if (context.phase === 'new') {
        t.c = {
          ...t.c,
          phase: 'idle',
          id: d.card,
          board: d.board,
          project: d.project,
          lane: d.lane,
          position: d.position,
          title: d.title ?? d.card,
          description: d.description ?? '',
          // only when given: a journal from before assignees replays to the snapshots it made
          ...(d.assignee != null ? { assignee: d.assignee } : {}),
        };
        t.emit({
          type: 'card.created',
          board: d.board,
          project: d.project,
          lane: d.lane,
          position: d.position,
          title: t.c.title,
          ...(d.description !== undefined ? { description: d.description } : {}),
          ...(d.assignee != null ? { assignee: d.assignee } : {}),
        });
        startWorkflow(
          t,
          stepsOf(autoAgents(workflowOf(t.c, d.lane)), workflowOf(t.c, d.lane)?.parallel),
          'auto',
        );
        enqueue.assign(t.flush(enqueue));
        return;
      }
      const from = context.lane;
      t.emit({ type: 'card.moved', from, to: d.lane, position: d.position });
      t.c = { ...t.c, position: d.position };
      if (from !== d.lane) {
        cancelWorkflow(t, `card moved from ${from} to ${d.lane}`);
        t.c = { ...t.c, lane: d.lane, phase: 'idle', blocked: null };
        const wf = workflowOf(t.c, d.lane);
        startWorkflow(t, stepsOf(autoAgents(wf), wf?.parallel), 'auto');
      }
      enqueue.assign(t.flush(enqueue));
    }),
    update: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'card.update') return;
      const changed = {
        ...(event.data.title !== undefined ? { title: event.data.title } : {}),
        ...(event.data.description !== undefined ? { description: event.data.description } : {}),
        ...(event.data.assignee !== undefined ? { assignee: event.data.assignee } : {}),
      };
      enqueue.assign({ ...context, ...changed });
      enqueue({ type: 'emit', params: { type: 'card.updated', ...changed } });
    }),
    remove: enqueueActions(({ context, event, enqueue }) => {
      const t = new Turn(context, event);
      cancelWorkflow(t, 'card deleted');
      t.c = { ...t.c, phase: 'deleted' };
      t.emit({ type: 'card.deleted' });
      enqueue.assign(t.flush(enqueue));
    }),
    runAgent: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'agent.run') return;
      const t = new Turn({ ...context, ...(event.data.config ? { config: event.data.config } : {}) }, event);
      startWorkflow(t, manualAgents(workflowOf(t.c, t.c.lane), event.data.agent), 'manual');
      enqueue.assign(t.flush(enqueue));
    }),
    stepReport: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'subtask.completed' && event.type !== 'subtask.failed') return;
      const t = new Turn(context, event);
      const run = context.run!;
      const a = run.agents.find((x) => x.ref === event.data.ref)!;
      if (event.type === 'subtask.completed') {
        const d = event.data;
        const done: RunAgent = { ...a, status: 'completed', result: d.result, costMicros: d.costMicros };
        const summary = shorten(d.result, MAX_SUMMARY);
        t.emit({
          type: 'run.finished',
          ...fieldsOf(run, a),
          status: 'completed',
          summary,
          costMicros: d.costMicros,
          ...(d.artifacts?.length ? { artifacts: d.artifacts } : {}),
        });
        const agents = run.agents.map((x) => (x.ref === a.ref ? done : x));
        t.c = {
          ...t.c,
          costMicros: t.c.costMicros + d.costMicros,
          history: record(t.c, {
            ...historyOf(t.c, a.ref),
            status: 'completed',
            summary,
            costMicros: d.costMicros,
            ...(d.artifacts?.length ? { artifacts: d.artifacts } : {}),
          }),
          run: {
            ...run,
            agents,
            costMicros: run.costMicros + d.costMicros,
            outputs: [...run.outputs, { agent: a.agent, result: d.result }],
          },
        };
        if (agents.some((x) => x.status === 'running')) return enqueue.assign(t.flush(enqueue));
        if (run.step + 1 < run.steps.length) {
          t.c = { ...t.c, run: { ...t.c.run!, step: run.step + 1, agents: [] } };
          startStep(t);
        } else completeWorkflow(t);
        return enqueue.assign(t.flush(enqueue));
      }
      const reason = `${a.agent} failed (${event.data.code}): ${event.data.reason}`;
      t.emit({
        type: 'run.finished',
        ...fieldsOf(run, a),
        status: 'failed',
        summary: shorten(reason, MAX_SUMMARY),
      });
      t.c = {
        ...t.c,
        history: record(t.c, {
          ...historyOf(t.c, a.ref),
          status: 'failed',
          summary: shorten(reason, MAX_SUMMARY),
        }),
        run: {
          ...run,
          agents: run.agents.map((x) => (x.ref === a.ref ? { ...x, status: 'failed' as const } : x)),
        },
      };
      // fail fast: the other agents of a parallel step are stopped (their work would be thrown away)
      for (const other of t.c.run!.agents.filter((x) => x.status === 'running')) {
        t.send({ kind: 'agent', child: other.ref }, 'task.cancel', { reason, byParent: true });
        t.emit({
          type: 'run.finished',
          ...fieldsOf(run, other),
          status: 'failed',
          summary: 'cancelled: another agent of the step failed',
        });
        t.c = {
          ...t.c,
          history: record(t.c, { ...historyOf(t.c, other.ref), status: 'failed', summary: 'cancelled' }),
        };
      }
      failWorkflow(t, machineErrors.STEP_FAILED.spec.code, reason);
      enqueue.assign(t.flush(enqueue));
    }),
    /** card.approve / card.deny: forwarded to the gate task when there is one, else decided here. */
    decide: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'card.approve' && event.type !== 'card.deny') return;
      const t = new Turn(context, event);
      const approved = event.type === 'card.approve';
      const gate = context.run?.gate;
      if (gate) {
        t.send({ kind: 'agent', child: gate }, approved ? 'task.approve' : 'task.deny', {
          callId: 'gate',
          ...(event.data.reason ? { reason: event.data.reason } : {}),
        });
        return enqueue.assign(t.flush(enqueue));
      }
      decided(t, approved, event.data.reason);
      enqueue.assign(t.flush(enqueue));
    }),
    /** The gate task reported: a person approved (subtask.completed) or denied (subtask.failed). */
    gateDecided: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'subtask.completed' && event.type !== 'subtask.failed') return;
      const t = new Turn(context, event);
      const approved = event.type === 'subtask.completed';
      const reason = approved ? event.data.result.replace(/^approved(: )?/, '') : event.data.reason;
      decided(t, approved, reason || undefined);
      enqueue.assign(t.flush(enqueue));
    }),
    /** An agent of the running step asked for a new card (create_card): to the board, or refused. */
    spawn: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'card.create') return;
      const t = new Turn(context, event);
      const d = event.data;
      const refuse = (reason: string) =>
        t.emit({
          type: 'card.create.refused',
          card: d.card,
          code: machineErrors.CARD_CREATE_REFUSED.spec.code,
          reason,
        });
      const run = context.run;
      const lane = run ? workflowOf(context, run.lane)?.cardsTo : undefined;
      const byAgent = run?.agents.some((a) => a.actor === d.by && a.status === 'running') ?? false;
      if (!run || !byAgent) refuse(`${d.by} is not an agent of the running workflow`);
      else if (!lane) refuse(`lane ${run.lane} names no cardsTo`);
      else if (projectIdPrefix(d.card) !== projectIdPrefix(context.id) || d.card === context.id)
        refuse(`card ${d.card} is not a new card of this card's workspace and project`);
      else if ((run.cards ?? 0) >= MAX_CARDS_PER_WORKFLOW)
        refuse(`the workflow already created ${MAX_CARDS_PER_WORKFLOW} cards`);
      else {
        t.emit({ type: 'card.spawned', card: d.card, lane, title: d.title, by: d.by });
        t.send({ kind: 'board', id: context.board }, 'card.add', {
          card: d.card,
          lane,
          title: d.title,
          ...(d.description !== undefined ? { description: d.description } : {}),
          ...(context.config ? { config: context.config } : {}),
          createdBy: { card: context.id, workflow: run.workflow },
        });
        t.c = { ...t.c, run: { ...run, cards: (run.cards ?? 0) + 1 } };
      }
      enqueue.assign(t.flush(enqueue));
    }),
    /** The board refused a card this card's agents created: journaled; it no longer counts. */
    spawnRefused: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'card.spawn.refused') return;
      const t = new Turn(context, event);
      const { card, lane, code, reason, workflow } = event.data;
      t.emit({ type: 'card.spawn.refused', card, lane, code, reason });
      const run = context.run;
      if (run?.workflow === workflow && (run.cards ?? 0) > 0)
        t.c = { ...t.c, run: { ...run, cards: (run.cards ?? 0) - 1 } };
      enqueue.assign(t.flush(enqueue));
    }),
    refused: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'card.refused') return;
      const t = new Turn(context, event);
      block(t, event.data.code, `move to ${event.data.lane} refused: ${event.data.reason}`);
      enqueue.assign(t.flush(enqueue));
    }),
  },
  guards: {
    isNewer: ({ context, event }) => event.type === 'card.placed' && event.data.seq > context.seq,
    isGate: ({ context, event }) =>
      (event.type === 'subtask.completed' || event.type === 'subtask.failed') &&
      context.run?.gate !== undefined &&
      context.run.gate === event.data.ref,
    isOwnStep: ({ context, event }) =>
      (event.type === 'subtask.completed' || event.type === 'subtask.failed') &&
      isCurrentAgent(context, event.data.ref),
  },
}).createMachine({
  id: 'card',
  initial: 'new',
  context: {
    phase: 'new',
    id: '',
    board: '',
    project: '',
    title: '',
    description: '',
    lane: '',
    position: 0,
    seq: 0,
    config: null,
    workflows: 0,
    run: null,
    history: [],
    blocked: null,
    summary: null,
    costMicros: 0,
  },
  on: {
    'card.placed': { guard: 'isNewer', actions: 'placed', target: '.routing' },
    'card.update': { guard: ({ context }) => context.phase !== 'new', actions: 'update' },
    'card.delete': { guard: ({ context }) => context.phase !== 'new', actions: 'remove', target: '.routing' },
    'card.refused': {
      guard: ({ context }) => context.phase !== 'new',
      actions: 'refused',
      target: '.routing',
    },
    'card.create': { guard: ({ context }) => context.phase !== 'new', actions: 'spawn' },
    'card.spawn.refused': { guard: ({ context }) => context.phase !== 'new', actions: 'spawnRefused' },
  },
  states: {
    new: {},
    routing: { always: toPhase },
    idle: { on: { 'agent.run': { actions: 'runAgent', target: 'routing' } } },
    running: {
      on: {
        'subtask.completed': { guard: 'isOwnStep', actions: 'stepReport', target: 'routing' },
        'subtask.failed': { guard: 'isOwnStep', actions: 'stepReport', target: 'routing' },
      },
    },
    awaiting_approval: {
      on: {
        'card.approve': { actions: 'decide', target: 'routing' },
        'card.deny': { actions: 'decide', target: 'routing' },
        'subtask.completed': { guard: 'isGate', actions: 'gateDecided', target: 'routing' },
        'subtask.failed': { guard: 'isGate', actions: 'gateDecided', target: 'routing' },
      },
    },
    blocked: { on: { 'agent.run': { actions: 'runAgent', target: 'routing' } } },
    deleted: { type: 'final' },
  },
});
