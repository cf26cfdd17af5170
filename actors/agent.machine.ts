/**
 * The `agent` actor: one agent run of a task (seed 002's agent-run), a turn loop
 *
 *   task.submit → thinking ──llm result with tool calls──▶ acting ──all tool results──▶ thinking …
 *                    │  └──some calls need approval──▶ awaiting_approval ──task.approve/deny──▶ acting
 *                    └──llm result without tool calls──▶ done (emits task.completed)
 *   done ──agent.message──▶ thinking …  (a follow-up: a new turn of the conversation)
 *
 * Conversation (seed 001 `receive`): `done` is a resting state, not a final one (tag `finished`:
 * its turns and snapshot still say `done`). `agent.message` there appends the message to the
 * conversation and answers it with the whole conversation as context; while the agent is busy,
 * the message waits in `inbox` and `done` takes the next one in arrival order (agentConversation.ts).
 *
 * Provider calls and tool runs are kernel effects; their results come back as journaled
 * `effect.result` commands. The conversation lives in the context, and `agentEffectInputs` hands it
 * to an `llm.call` when the effect runs instead of copying it into every journal record.
 *
 * Approval: a tool call needs approval when its tool is in the task's `approvalRequired` or the
 * node's toolset said so in the (journaled) LLM reply. The machine then waits in
 * `awaiting_approval` — a journaled state, so the wait survives restarts — until every such call
 * is approved or denied; approved calls run, a denied call is answered to the model as a tool
 * result `denied: <reason>` with `isError: true`.
 *
 * Approval gate: a `task.submit` with `approvalGate: { name }` makes no model call. The agent asks
 * at once for approval of the one pseudo call `gate` (tool `name`) in `gate_awaiting_approval`
 * (journaled, listed and decided like any task waiting for approval), then completes on
 * `task.approve` or fails with MOE_ERR_WORKFLOW_DENIED on `task.deny`, and tells its parent. A
 * card's `exitCriteria: 'approved'` waits for a person this way.
 *
 * Children: with a `parent` (a coordinator), the agent reports its outcome to it with an
 * `actor.send` effect (`subtask.completed` / `subtask.failed`).
 */
import { assign, enqueueActions, setup } from 'xstate';
import { mergeArtifacts } from '../schemas/index.js';
import type {
  AgentMessageData,
  ArtifactRef,
  ParentRef,
  ScriptStep,
  TaskSubmit,
  ToolCall,
  Usage,
} from '../schemas/index.js';
import {
  addSpend,
  usageRecorded,
  ZERO_USAGE,
  type Enqueue,
  type LlmReply,
  type Spend,
  type ToolReply,
  agentReplied,
} from './agentReply.js';
import type { AgentMessage } from './agentEffects.js';
import { queuedMessage, startFollowUp, stepsThisTurn, type QueuedMessage } from './agentConversation.js';
import { FAILED_TAG, FINISHED_TAG, fx, kernelActions, type KernelEvent } from './contract.js';
import { noInputs, type EffectInputs } from './effects.js';
import { machineErrors } from './errors.js';
import type { ActorSendRequest } from './kernelEffects.js';

export { type LlmReply, type ToolReply } from './agentReply.js';
export type { AgentMessage } from './agentEffects.js';

export const DEFAULT_MAX_STEPS = 16;
export const DEFAULT_DENIAL = 'denied by the user';
/** The one pending call of an approval gate (task.submit `approvalGate`). */
export const GATE_CALL = 'gate';

/** Tool calls of one LLM reply while some of them wait for a decision. */
export interface ApprovalWait {
  calls: ToolCall[];
  /** callId → decision, for the calls that need approval */
  decisions: Record<string, 'pending' | 'approved' | 'denied'>;
  reasons: Record<string, string>;
}

export interface AgentContext {
  prompt: string;
  profile: string;
  script: ScriptStep[] | null;
  maxSteps: number;
  step: number;
  messages: AgentMessage[];
  llmEffect: string | null;
  pendingTools: Record<string, string>;
  usage: Usage;
  costMicros: number;
  priceMicros: number;
  provider: string;
  result: string | null;
  failure: { code: string; reason: string } | null;
  approvalRequired: string[];
  approval: ApprovalWait | null;
  parent: ParentRef | null;
  /** the task's project (its tools work in that project's folder); absent: the workspace root */
  project?: string;
  /** follow-up messages waiting while the agent works (absent until the first one) */
  inbox?: QueuedMessage[];
  /** the step the current turn of the conversation started at (absent: the task's first turn) */
  stepsFrom?: number;
  /** follow-up messages answered or being answered */
  followUps?: number;
  /** files the task's tools wrote, newest write of each path (absent until the first) */
  artifacts?: ArtifactRef[];
  /** a card's agent whose lane names cardsTo: it has the create_card tool (task.submit createCards) */
  createCards?: { lane: string };
}

/** The card an agent may put new cards beside (create_card), and their lane; null: no such tool. */
function cardTool(c: AgentContext): { id: string; lane: string } | null {
  return c.createCards && c.parent?.kind === 'card' ? { id: c.parent.id, lane: c.createCards.lane } : null;
}

type AgentEvent =
  | KernelEvent<'task.submit', TaskSubmit>
  | KernelEvent<'agent.message', AgentMessageData>
  | KernelEvent<'task.cancel', { reason?: string; byParent?: boolean }>
  | KernelEvent<'task.approve', { callId?: string; reason?: string }>
  | KernelEvent<'task.deny', { callId?: string; reason?: string }>
  | KernelEvent<'effect.result', { effectId: string; value: unknown }>
  | KernelEvent<'effect.failed', { effectId: string; error: { code: string; message: string } }>
  | KernelEvent<'timer.fired', { effectId: string }>;

/** Snapshots persisted before costs were tracked have no totals: count from 0. */
function spendOf(c: AgentContext): Spend {
  return { usage: c.usage, costMicros: c.costMicros ?? 0, priceMicros: c.priceMicros ?? 0 };
}

function pendingIds(wait: ApprovalWait | null): string[] {
  return wait ? Object.keys(wait.decisions).filter((id) => wait.decisions[id] === 'pending') : [];
}

/** The calls a decision event names: one call by id, or every pending call. */
function decided(wait: ApprovalWait | null, callId: string | undefined): string[] {
  const pending = pendingIds(wait);
  return callId === undefined ? pending : pending.filter((id) => id === callId);
}

function toParent(
  parent: ParentRef,
  type: string,
  data: Record<string, unknown>,
  id: string,
): ActorSendRequest {
  return {
    id,
    kind: 'actor.send',
    to: { kind: parent.kind, id: parent.id },
    type,
    data: { ref: parent.ref, ...data },
  };
}

/** Starts tool effects for `calls`; returns the pendingTools map (effect id → call id). */
function startTools(
  calls: ToolCall[],
  event: { turn: number },
  enqueue: Enqueue,
  approved: ReadonlySet<string>,
) {
  const pending: Record<string, string> = {};
  calls.forEach((call, i) => {
    const id = fx(event, i);
    pending[id] = call.id;
    enqueue({
      type: 'effect',
      params: {
        id,
        kind: 'tool.run',
        callId: call.id,
        name: call.name,
        input: call.input,
        ...(approved.has(call.id) ? { approved: true } : {}),
      },
    });
  });
  return pending;
}

/** The effects an agent emits, and what each reads from its context when it runs (not journaled). */
export const agentEffectInputs: EffectInputs<AgentContext> = {
  'llm.call': (c) => ({ messages: c.messages, script: c.script, ...(cardTool(c) ? { cardTool: true } : {}) }),
  'tool.run': (c) => {
    const card = cardTool(c);
    return { ...(c.project !== undefined ? { project: c.project } : {}), ...(card ? { card } : {}) };
  },
  'actor.send': noInputs,
};

export const agentMachine = setup({
  types: { context: {} as AgentContext, events: {} as AgentEvent },
  actions: {
    ...kernelActions,
    callLlm: enqueueActions(({ context, event, enqueue }) => {
      const id = fx(event);
      enqueue.assign({ llmEffect: id, step: context.step + 1 });
      enqueue({
        type: 'effect',
        params: { id, kind: 'llm.call', profile: context.profile, step: context.step },
      });
    }),
    /** A follow-up while the agent works: it waits in the inbox, behind the ones already there. */
    queueMessage: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'agent.message') return;
      const inbox = context.inbox ?? [];
      const message = queuedMessage(event.data);
      enqueue.assign({ inbox: [...inbox, message] });
      enqueue({
        type: 'emit',
        params: {
          type: 'message.accepted',
          text: event.data.text,
          queued: inbox.length + 1,
          conversationTurn: (context.followUps ?? 0) + inbox.length + 2,
          profile: context.profile,
          ...(message.clear ? { cleared: true } : {}),
        },
      });
    }),
    /** A follow-up to an agent that answered: a new turn of the conversation starts now. */
    answerMessage: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'agent.message') return;
      const message = queuedMessage(event.data);
      const start = startFollowUp(context, message);
      enqueue.assign(start);
      enqueue({
        type: 'emit',
        params: {
          type: 'message.accepted',
          text: event.data.text,
          queued: 0,
          conversationTurn: start.followUps + 1,
          profile: context.profile,
          ...(message.clear ? { cleared: true } : {}),
        },
      });
      const id = fx(event);
      enqueue.assign({ llmEffect: id, step: context.step + 1 });
      enqueue({
        type: 'effect',
        params: { id, kind: 'llm.call', profile: context.profile, step: context.step },
      });
    }),
    /**
     * The turn that answered also finds a message waiting: answer it next. Its effect id is the
     * turn's second (the first may be the report to a parent).
     */
    answerQueued: enqueueActions(({ context, event, enqueue }) => {
      const [next, ...rest] = context.inbox ?? [];
      if (!next) return;
      enqueue.assign({ ...startFollowUp(context, next), inbox: rest });
      const id = fx(event, 1);
      enqueue.assign({ llmEffect: id, step: context.step + 1 });
      enqueue({
        type: 'effect',
        params: { id, kind: 'llm.call', profile: context.profile, step: context.step },
      });
    }),
    fail: enqueueActions(({ context, event, enqueue }) => {
      const failure =
        event.type === 'task.cancel'
          ? { code: 'cancelled', reason: event.data.reason ?? 'cancelled by request' }
          : event.type === 'effect.failed'
            ? { code: event.data.error.code, reason: event.data.error.message }
            : { code: 'unknown', reason: `unexpected ${event.type}` };
      enqueue.assign({ failure, llmEffect: null, pendingTools: {}, approval: null });
      enqueue({ type: 'emit', params: { type: 'task.failed', ...failure } });
      const quiet = event.type === 'task.cancel' && event.data.byParent === true;
      if (context.parent && !quiet)
        enqueue({ type: 'effect', params: toParent(context.parent, 'subtask.failed', failure, fx(event)) });
    }),
    /** An approval gate (task.submit `approvalGate`): one pending pseudo call, no model call. */
    openGate: enqueueActions(({ event, enqueue }) => {
      if (event.type !== 'task.submit' || !event.data.approvalGate) return;
      const d = event.data;
      const call = { id: GATE_CALL, name: d.approvalGate!.name, input: {} };
      enqueue.assign({
        prompt: d.prompt,
        profile: d.profile ?? 'default',
        messages: [{ role: 'user' as const, content: d.prompt }],
        parent: d.parent ?? null,
        ...(d.project ? { project: d.project } : {}),
        approval: { calls: [call], decisions: { [GATE_CALL]: 'pending' }, reasons: {} },
      });
      enqueue({
        type: 'emit',
        params: { type: 'task.accepted', prompt: d.prompt, ...(d.parent ? { parent: d.parent } : {}) },
      });
      enqueue({
        type: 'emit',
        params: { type: 'approval.requested', step: 0, callIds: [GATE_CALL], tools: [call.name] },
      });
    }),
    /** A person decided the gate: completed (approved) or failed (denied), and the parent is told. */
    closeGate: enqueueActions(({ context, event, enqueue }) => {
      if ((event.type !== 'task.approve' && event.type !== 'task.deny') || !context.approval) return;
      const approved = event.type === 'task.approve';
      const tool = context.approval.calls[0]?.name ?? '';
      const reason = event.data.reason ?? (approved ? undefined : DEFAULT_DENIAL);
      enqueue({
        type: 'emit',
        params: {
          type: 'approval.decided',
          callId: GATE_CALL,
          tool,
          approved,
          ...(reason !== undefined ? { reason } : {}),
        },
      });
      if (approved) {
        const result = reason ? `approved: ${reason}` : 'approved';
        const totals = { steps: 0, provider: 'none', ...spendOf(context) };
        enqueue.assign({ approval: null, result });
        enqueue({ type: 'emit', params: { type: 'task.completed', result, ...totals } });
        if (context.parent)
          enqueue({
            type: 'effect',
            params: toParent(context.parent, 'subtask.completed', { result, ...totals }, fx(event)),
          });
        return;
      }
      const failure = { code: machineErrors.APPROVAL_DENIED.spec.code, reason: reason ?? DEFAULT_DENIAL };
      enqueue.assign({ approval: null, failure });
      enqueue({ type: 'emit', params: { type: 'task.failed', ...failure } });
      if (context.parent)
        enqueue({ type: 'effect', params: toParent(context.parent, 'subtask.failed', failure, fx(event)) });
    }),
    decide: enqueueActions(({ context, event, enqueue }) => {
      if ((event.type !== 'task.approve' && event.type !== 'task.deny') || !context.approval) return;
      const wait = context.approval;
      const verdict = event.type === 'task.approve' ? 'approved' : 'denied';
      const decisions = { ...wait.decisions };
      const reasons = { ...wait.reasons };
      for (const id of decided(wait, event.data.callId)) {
        decisions[id] = verdict;
        if (verdict === 'denied') reasons[id] = event.data.reason ?? DEFAULT_DENIAL;
        const tool = wait.calls.find((c) => c.id === id)?.name ?? '';
        enqueue({
          type: 'emit',
          params: {
            type: 'approval.decided',
            callId: id,
            tool,
            approved: verdict === 'approved',
            ...(verdict === 'denied' ? { reason: reasons[id] } : {}),
          },
        });
      }
      if (Object.values(decisions).includes('pending')) {
        enqueue.assign({ approval: { ...wait, decisions, reasons } });
        return;
      }
      // Every decision is in: denied calls are answered now, the others run.
      const denied = wait.calls.filter((c) => decisions[c.id] === 'denied');
      const runs = wait.calls.filter((c) => decisions[c.id] !== 'denied');
      const approved = new Set(runs.filter((c) => decisions[c.id] === 'approved').map((c) => c.id));
      const messages: AgentMessage[] = [
        ...context.messages,
        ...denied.map((c): AgentMessage => ({
          role: 'tool',
          toolCallId: c.id,
          name: c.name,
          content: `denied: ${reasons[c.id] ?? DEFAULT_DENIAL}`,
          isError: true,
        })),
      ];
      enqueue.assign({ messages, approval: null, pendingTools: startTools(runs, event, enqueue, approved) });
    }),
  },
  guards: {
    isLlmResult: ({ context, event }) =>
      event.type === 'effect.result' && event.data.effectId === context.llmEffect,
    isLlmFailure: ({ context, event }) =>
      event.type === 'effect.failed' && event.data.effectId === context.llmEffect,
    isToolResult: ({ context, event }) =>
      event.type === 'effect.result' && context.pendingTools[event.data.effectId] !== undefined,
    isToolFailure: ({ context, event }) =>
      event.type === 'effect.failed' && context.pendingTools[event.data.effectId] !== undefined,
    namesPendingCall: ({ context, event }) =>
      (event.type === 'task.approve' || event.type === 'task.deny') &&
      decided(context.approval, event.data.callId).length > 0,
  },
}).createMachine({
  id: 'agent',
  initial: 'idle',
  context: {
    prompt: '',
    profile: 'default',
    script: null,
    maxSteps: DEFAULT_MAX_STEPS,
    step: 0,
    messages: [],
    llmEffect: null,
    pendingTools: {},
    usage: ZERO_USAGE,
    costMicros: 0,
    priceMicros: 0,
    provider: '',
    result: null,
    failure: null,
    approvalRequired: [],
    approval: null,
    parent: null,
  },
  states: {
    idle: {
      on: {
        'task.submit': [
          {
            guard: ({ event }) => event.data.approvalGate !== undefined,
            target: 'gate_awaiting_approval',
            actions: 'openGate',
          },
          {
            target: 'thinking',
            actions: [
              assign(({ event }) => ({
                prompt: event.data.prompt,
                profile: event.data.profile ?? 'default',
                script: event.data.script ?? null,
                maxSteps: event.data.maxSteps ?? DEFAULT_MAX_STEPS,
                messages: [{ role: 'user' as const, content: event.data.prompt }],
                approvalRequired: event.data.approvalRequired ?? [],
                parent: event.data.parent ?? null,
                ...(event.data.project ? { project: event.data.project } : {}),
                ...(event.data.createCards ? { createCards: event.data.createCards } : {}),
              })),
              {
                type: 'emit',
                params: ({ event }) => ({
                  type: 'task.accepted',
                  prompt: event.data.prompt,
                  ...(event.data.parent ? { parent: event.data.parent } : {}),
                }),
              },
              'callLlm',
            ],
          },
        ],
      },
    },
    gate_awaiting_approval: {
      on: {
        'task.approve': { guard: 'namesPendingCall', target: 'done', actions: 'closeGate' },
        'task.deny': { guard: 'namesPendingCall', target: 'failed', actions: 'closeGate' },
        'task.cancel': { target: 'cancelled', actions: 'fail' },
      },
    },
    thinking: {
      on: {
        'effect.result': {
          guard: 'isLlmResult',
          actions: enqueueActions(({ context, event, enqueue }) => {
            if (event.type !== 'effect.result') return;
            const reply = event.data.value as LlmReply;
            const messages: AgentMessage[] = [
              ...context.messages,
              { role: 'assistant', content: reply.text, toolCalls: reply.toolCalls },
            ];
            const spend = addSpend(spendOf(context), reply);
            enqueue.assign({ messages, ...spend, provider: reply.provider, llmEffect: null });
            enqueue({ type: 'emit', params: agentReplied(reply, context.step, reply.toolCalls.length) });
            enqueue({ type: 'emit', params: usageRecorded(reply, event.data.effectId, context.step) });
            if (reply.toolCalls.length > 0 && stepsThisTurn(context) < context.maxSteps) {
              const gated = new Set([...(context.approvalRequired ?? []), ...(reply.approval ?? [])]);
              const needs = reply.toolCalls.filter((c) => gated.has(c.name));
              if (needs.length === 0) {
                enqueue.assign({ pendingTools: startTools(reply.toolCalls, event, enqueue, new Set()) });
                return;
              }
              const decisions = Object.fromEntries(needs.map((c) => [c.id, 'pending' as const]));
              enqueue.assign({ approval: { calls: reply.toolCalls, decisions, reasons: {} } });
              enqueue({
                type: 'emit',
                params: {
                  type: 'approval.requested',
                  step: context.step,
                  callIds: needs.map((c) => c.id),
                  tools: needs.map((c) => c.name),
                },
              });
              return;
            }
            enqueue.assign({ result: reply.text });
            const totals = {
              steps: context.step,
              provider: reply.provider,
              ...spend,
              ...(context.artifacts?.length ? { artifacts: context.artifacts } : {}),
            };
            enqueue({ type: 'emit', params: { type: 'task.completed', result: reply.text, ...totals } });
            // a parent (coordinator) waits for the task's answer, not for follow-ups
            if (context.parent && !context.followUps)
              enqueue({
                type: 'effect',
                params: toParent(
                  context.parent,
                  'subtask.completed',
                  { result: reply.text, ...totals },
                  fx(event),
                ),
              });
          }),
        },
        'effect.failed': { guard: 'isLlmFailure', target: 'failed', actions: 'fail' },
        'task.cancel': { target: 'cancelled', actions: 'fail' },
        'agent.message': { actions: 'queueMessage' },
      },
      always: [
        { guard: ({ context }) => context.approval !== null, target: 'awaiting_approval' },
        { guard: ({ context }) => Object.keys(context.pendingTools).length > 0, target: 'acting' },
        { guard: ({ context }) => context.result !== null, target: 'done' },
      ],
    },
    awaiting_approval: {
      on: {
        'task.approve': { guard: 'namesPendingCall', actions: 'decide' },
        'task.deny': { guard: 'namesPendingCall', actions: 'decide' },
        'task.cancel': { target: 'cancelled', actions: 'fail' },
        'agent.message': { actions: 'queueMessage' },
      },
      always: [
        {
          guard: ({ context }) => context.approval === null && Object.keys(context.pendingTools).length > 0,
          target: 'acting',
        },
        // every call was denied: the model hears about it at once
        { guard: ({ context }) => context.approval === null, target: 'thinking', actions: 'callLlm' },
      ],
    },
    acting: {
      on: {
        'effect.result': {
          guard: 'isToolResult',
          actions: enqueueActions(({ context, event, enqueue }) => {
            if (event.type !== 'effect.result') return;
            const reply = event.data.value as ToolReply;
            const pendingTools = { ...context.pendingTools };
            delete pendingTools[event.data.effectId];
            const call = context.messages
              .flatMap((m) => (m.role === 'assistant' ? m.toolCalls : []))
              .find((c) => c.id === reply.callId);
            enqueue.assign({
              pendingTools,
              ...(reply.artifacts?.length
                ? { artifacts: mergeArtifacts(context.artifacts ?? [], reply.artifacts) }
                : {}),
              messages: [
                ...context.messages,
                {
                  role: 'tool',
                  toolCallId: reply.callId,
                  name: call?.name ?? '',
                  content: reply.output,
                  isError: reply.isError,
                },
              ],
            });
            enqueue({
              type: 'emit',
              params: {
                type: 'tool.finished',
                name: call?.name ?? '',
                isError: reply.isError,
                ...(reply.artifacts?.length ? { artifacts: reply.artifacts } : {}),
              },
            });
          }),
        },
        'effect.failed': { guard: 'isToolFailure', target: 'failed', actions: 'fail' },
        'task.cancel': { target: 'cancelled', actions: 'fail' },
        'agent.message': { actions: 'queueMessage' },
      },
      always: {
        guard: ({ context }) => Object.keys(context.pendingTools).length === 0,
        target: 'thinking',
        actions: 'callLlm',
      },
    },
    done: {
      tags: [FINISHED_TAG],
      on: { 'agent.message': { target: 'thinking', actions: 'answerMessage' } },
      always: {
        guard: ({ context }) => (context.inbox ?? []).length > 0,
        target: 'thinking',
        actions: 'answerQueued',
      },
    },
    cancelled: { type: 'final', tags: [FAILED_TAG] },
    failed: { type: 'final', tags: [FAILED_TAG] },
  },
});
