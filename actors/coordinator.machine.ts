/**
 * The `coordinator` actor: mixture-of-experts coordination (seed 000's multi-agent task).
 *
 *   task.submit ─▶ planning ──plan (its own llm.call)──▶ delegating ──all subtask.completed──▶ aggregating ──▶ done
 *        └──subtasks given──────────────────────────────▶    │  └──(concat)─────────────────────────────────▶ done
 *                                                            └──subtask.failed──▶ failed (other children cancelled)
 *
 * Each subtask runs as its own `agent` actor, started IN PARALLEL in one turn by `actor.send`
 * effects (`task.submit` with a `parent`); the send handler names the child `<coordinator id>-<ref>`
 * and fills in the parent's address, which a pure machine does not know. Children report back with
 * `subtask.completed` / `subtask.failed`. Policy on a child failure: fail fast — the coordinator
 * fails with the child's code and reason and cancels the children still running (their work would
 * be paid for and thrown away).
 *
 * Aggregation is an LLM call with the experts' answers, or a concatenation when asked for
 * (`aggregate: 'concat'`) or when the offline `scripted` provider has no step left to play for it.
 *
 * Escalations: in any state but a final one, `escalation.notice` (an actor of the workspace used up
 * its restarts and its policy escalates to `coordinator`; sent by the gateway's escalation router)
 * is kept in `escalations` (the newest {@link MAX_ESCALATIONS}) and journaled as
 * `escalation.noticed`. It changes nothing else: the failed child's task waits until an operator
 * restarts it, and its own failure (if any) still comes as `subtask.failed`.
 */
import { enqueueActions, setup } from 'xstate';
import type { CoordinatorSubmit, EscalationNotice, ScriptStep, Subtask, Usage } from '../schemas/index.js';
import {
  addSpend,
  usageRecorded,
  ZERO_USAGE,
  type Enqueue,
  type LlmReply,
  agentReplied,
} from './agentReply.js';
import type { AgentMessage } from './agent.machine.js';
import { FAILED_TAG, fx, kernelActions, type KernelEvent } from './contract.js';
import { noInputs, type EffectInputs } from './effects.js';
import { aggregatePrompt, concatResults, parsePlan, planPrompt, type ChildState } from './coordinatorPlan.js';
import { machineErrors } from './errors.js';

export const PLAN_INVALID = machineErrors.PLAN_INVALID.spec.code;

/** How many escalation notices a coordinator keeps (the newest). */
export const MAX_ESCALATIONS = 20;

export interface CoordinatorContext {
  prompt: string;
  profile: string;
  experts: string[];
  script: ScriptStep[] | null;
  aggregate: 'llm' | 'concat' | null;
  approvalRequired: string[];
  messages: AgentMessage[];
  step: number;
  llmEffect: string | null;
  provider: string;
  children: ChildState[];
  usage: Usage;
  costMicros: number;
  priceMicros: number;
  result: string | null;
  failure: { code: string; reason: string } | null;
  /** the task's project, passed on to every expert */
  project?: string;
  /** escalations routed here, oldest first (absent in snapshots written before) */
  escalations?: EscalationNotice[];
}

type CoordinatorEvent =
  | KernelEvent<'task.submit', CoordinatorSubmit>
  | KernelEvent<'task.cancel', { reason?: string }>
  | KernelEvent<
      'subtask.completed',
      {
        ref: string;
        result: string;
        steps: number;
        provider: string;
        usage: Usage;
        costMicros: number;
        priceMicros: number;
      }
    >
  | KernelEvent<'subtask.failed', { ref: string; code: string; reason: string }>
  | KernelEvent<'escalation.notice', EscalationNotice>
  | KernelEvent<'effect.result', { effectId: string; value: unknown }>
  | KernelEvent<'effect.failed', { effectId: string; error: { code: string; message: string } }>
  | KernelEvent<'timer.fired', { effectId: string }>;

const spendOf = (c: CoordinatorContext) => ({
  usage: c.usage,
  costMicros: c.costMicros,
  priceMicros: c.priceMicros,
});

/** Starts every subtask as a child agent, all in this one turn: they run in parallel. */
function spawn(
  context: CoordinatorContext,
  subtasks: Subtask[],
  event: { turn: number },
  enqueue: Enqueue,
): ChildState[] {
  const children = subtasks.map((s, i): ChildState => {
    const ref = `e${i + 1}`;
    const profile = s.profile ?? context.experts[0] ?? 'default';
    const data = {
      prompt: s.prompt,
      profile,
      ...(s.script ? { script: s.script } : {}),
      ...(context.approvalRequired.length ? { approvalRequired: context.approvalRequired } : {}),
      ...(context.project ? { project: context.project } : {}),
      parent: { ref },
    };
    enqueue({
      type: 'effect',
      params: {
        id: fx(event, i),
        kind: 'actor.send',
        to: { kind: 'agent', child: ref },
        replyTo: true,
        type: 'task.submit',
        data,
      },
    });
    enqueue({ type: 'emit', params: { type: 'subtask.started', ref, profile, prompt: s.prompt } });
    return { ref, prompt: s.prompt, profile, status: 'running', result: null };
  });
  enqueue({
    type: 'emit',
    params: { type: 'plan.ready', subtasks: children.map(({ ref, profile }) => ({ ref, profile })) },
  });
  return children;
}

/** Tells the children still running to stop, without reporting back. */
function cancelRunning(
  children: ChildState[],
  event: { turn: number },
  enqueue: Enqueue,
  reason: string,
): void {
  children
    .filter((c) => c.status === 'running')
    .forEach((c, i) =>
      enqueue({
        type: 'effect',
        params: {
          id: fx(event, i),
          kind: 'actor.send',
          to: { kind: 'agent', child: c.ref },
          type: 'task.cancel',
          data: { reason, byParent: true },
        },
      }),
    );
}

/** The effects a coordinator emits, and what each reads from its context when it runs (not journaled). */
export const coordinatorEffectInputs: EffectInputs<CoordinatorContext> = {
  'llm.call': (c) => ({ messages: c.messages, script: c.script }),
  'actor.send': noInputs,
};

/** In every state but a final one (a final coordinator takes no notice). */
const noticed = { 'escalation.notice': { actions: 'noticeEscalation' } } as const;

export const coordinatorMachine = setup({
  types: { context: {} as CoordinatorContext, events: {} as CoordinatorEvent },
  actions: {
    ...kernelActions,
    accept: enqueueActions(({ event, enqueue }) => {
      if (event.type !== 'task.submit') return;
      const d = event.data;
      enqueue.assign({
        prompt: d.prompt,
        profile: d.profile ?? 'default',
        experts: d.experts ?? [],
        script: d.script ?? null,
        aggregate: d.aggregate ?? null,
        approvalRequired: d.approvalRequired ?? [],
        messages: [{ role: 'user', content: planPrompt(d.prompt, d.experts ?? []) }],
        ...(d.project ? { project: d.project } : {}),
      });
      enqueue({ type: 'emit', params: { type: 'task.accepted', prompt: d.prompt } });
    }),
    callLlm: enqueueActions(({ context, event, enqueue }) => {
      const id = fx(event);
      enqueue.assign({ llmEffect: id, step: context.step + 1 });
      enqueue({
        type: 'effect',
        params: { id, kind: 'llm.call', profile: context.profile, step: context.step, tools: false },
      });
    }),
    fail: enqueueActions(({ context, event, enqueue }) => {
      const failure =
        event.type === 'task.cancel'
          ? { code: 'cancelled', reason: event.data.reason ?? 'cancelled by request' }
          : event.type === 'effect.failed'
            ? { code: event.data.error.code, reason: event.data.error.message }
            : event.type === 'subtask.failed'
              ? { code: event.data.code, reason: `subtask ${event.data.ref} failed: ${event.data.reason}` }
              : { code: PLAN_INVALID, reason: 'the plan reply holds no subtasks and no experts were named' };
      const children = context.children.map((c) =>
        event.type === 'subtask.failed' && c.ref === event.data.ref ? { ...c, status: 'failed' as const } : c,
      );
      enqueue.assign({ failure, llmEffect: null, children });
      if (event.type === 'subtask.failed')
        enqueue({
          type: 'emit',
          params: {
            type: 'subtask.failed',
            ref: event.data.ref,
            code: event.data.code,
            reason: event.data.reason,
          },
        });
      enqueue({ type: 'emit', params: { type: 'task.failed', ...failure } });
      cancelRunning(children, event, enqueue, `coordinator failed: ${failure.reason}`.slice(0, 500));
    }),
    finish: enqueueActions(({ context, enqueue }) => {
      // an eventless transition: the last subtask.completed is already in `children`
      const children = context.children;
      const mode =
        context.aggregate ??
        (context.provider !== 'scripted' && context.provider !== ''
          ? 'llm'
          : context.script?.[context.step]
            ? 'llm'
            : 'concat');
      if (mode === 'llm') {
        enqueue.assign({
          messages: [...context.messages, { role: 'user', content: aggregatePrompt(children) }],
        });
        enqueue({ type: 'emit', params: { type: 'aggregation.started', subtasks: children.length } });
        return;
      }
      const result = concatResults(children);
      enqueue.assign({ result });
      enqueue({
        type: 'emit',
        params: {
          type: 'task.completed',
          result,
          steps: context.step,
          provider: context.provider || 'none',
          subtasks: children.length,
          ...spendOf(context),
        },
      });
    }),
    noticeEscalation: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'escalation.notice') return;
      const n = event.data;
      enqueue.assign({ escalations: [...(context.escalations ?? []), n].slice(-MAX_ESCALATIONS) });
      enqueue({
        type: 'emit',
        params: {
          type: 'escalation.noticed',
          escalation: n.escalation,
          actor: n.actor,
          code: n.code,
          reason: n.reason,
          restarts: n.restarts,
          at: n.at,
        },
      });
    }),
  },
  guards: {
    isLlmResult: ({ context, event }) =>
      event.type === 'effect.result' && event.data.effectId === context.llmEffect,
    isLlmFailure: ({ context, event }) =>
      event.type === 'effect.failed' && event.data.effectId === context.llmEffect,
    isRunningChild: ({ context, event }) =>
      (event.type === 'subtask.completed' || event.type === 'subtask.failed') &&
      context.children.some((c) => c.ref === event.data.ref && c.status === 'running'),
  },
}).createMachine({
  id: 'coordinator',
  initial: 'idle',
  context: {
    prompt: '',
    profile: 'default',
    experts: [],
    script: null,
    aggregate: null,
    approvalRequired: [],
    messages: [],
    step: 0,
    llmEffect: null,
    provider: '',
    children: [],
    usage: ZERO_USAGE,
    costMicros: 0,
    priceMicros: 0,
    result: null,
    failure: null,
  },
  states: {
    idle: {
      on: {
        ...noticed,
        'task.submit': [
          {
            guard: ({ event }) => event.data.subtasks !== undefined,
            target: 'delegating',
            actions: [
              'accept',
              enqueueActions(({ context, event, enqueue }) => {
                if (event.type !== 'task.submit' || !event.data.subtasks) return;
                enqueue.assign({ children: spawn(context, event.data.subtasks, event, enqueue) });
              }),
            ],
          },
          { target: 'planning', actions: ['accept', 'callLlm'] },
        ],
      },
    },
    planning: {
      on: {
        ...noticed,
        'effect.result': {
          guard: 'isLlmResult',
          actions: enqueueActions(({ context, event, enqueue }) => {
            if (event.type !== 'effect.result') return;
            const reply = event.data.value as LlmReply;
            const planned = parsePlan(reply.text, context.experts);
            const subtasks =
              planned ?? context.experts.map((profile) => ({ prompt: context.prompt, profile }));
            enqueue.assign({
              ...addSpend(spendOf(context), reply),
              provider: reply.provider,
              llmEffect: null,
              messages: [...context.messages, { role: 'assistant', content: reply.text, toolCalls: [] }],
            });
            enqueue({ type: 'emit', params: agentReplied(reply, context.step, 0) });
            enqueue({ type: 'emit', params: usageRecorded(reply, event.data.effectId, context.step) });
            if (subtasks.length === 0) return;
            if (!planned)
              enqueue({
                type: 'emit',
                params: {
                  type: 'plan.fallback',
                  reason: 'no JSON plan in the reply: every expert gets the whole task',
                },
              });
            enqueue.assign({ children: spawn(context, subtasks, event, enqueue) });
          }),
        },
        'effect.failed': { guard: 'isLlmFailure', target: 'failed', actions: 'fail' },
        'task.cancel': { target: 'cancelled', actions: 'fail' },
      },
      always: [
        { guard: ({ context }) => context.children.length > 0, target: 'delegating' },
        { guard: ({ context }) => context.llmEffect === null, target: 'failed', actions: 'fail' },
      ],
    },
    delegating: {
      on: {
        ...noticed,
        'subtask.completed': {
          guard: 'isRunningChild',
          actions: enqueueActions(({ context, event, enqueue }) => {
            if (event.type !== 'subtask.completed') return;
            const d = event.data;
            enqueue.assign({
              children: context.children.map((c) =>
                c.ref === d.ref ? { ...c, status: 'completed' as const, result: d.result } : c,
              ),
              ...addSpend(spendOf(context), d),
            });
            enqueue({
              type: 'emit',
              params: {
                type: 'subtask.completed',
                ref: d.ref,
                provider: d.provider,
                steps: d.steps,
                costMicros: d.costMicros,
                priceMicros: d.priceMicros,
              },
            });
          }),
        },
        'subtask.failed': { guard: 'isRunningChild', target: 'failed', actions: 'fail' },
        // a child that could not be started (the send failed for good)
        'effect.failed': { target: 'failed', actions: 'fail' },
        'task.cancel': { target: 'cancelled', actions: 'fail' },
      },
      always: {
        guard: ({ context }) => context.children.every((c) => c.status === 'completed'),
        target: 'aggregating',
        actions: 'finish',
      },
    },
    aggregating: {
      always: [
        { guard: ({ context }) => context.result !== null, target: 'done' },
        { guard: ({ context }) => context.llmEffect === null, actions: 'callLlm' },
      ],
      on: {
        ...noticed,
        'effect.result': {
          guard: 'isLlmResult',
          actions: enqueueActions(({ context, event, enqueue }) => {
            if (event.type !== 'effect.result') return;
            const reply = event.data.value as LlmReply;
            const spend = addSpend(spendOf(context), reply);
            enqueue.assign({ ...spend, result: reply.text, llmEffect: null, provider: reply.provider });
            enqueue({ type: 'emit', params: agentReplied(reply, context.step, 0) });
            enqueue({ type: 'emit', params: usageRecorded(reply, event.data.effectId, context.step) });
            enqueue({
              type: 'emit',
              params: {
                type: 'task.completed',
                result: reply.text,
                steps: context.step,
                provider: reply.provider,
                subtasks: context.children.length,
                ...spend,
              },
            });
          }),
        },
        'effect.failed': { guard: 'isLlmFailure', target: 'failed', actions: 'fail' },
        'task.cancel': { target: 'cancelled', actions: 'fail' },
      },
    },
    done: { type: 'final' },
    cancelled: { type: 'final', tags: [FAILED_TAG] },
    failed: { type: 'final', tags: [FAILED_TAG] },
  },
});
