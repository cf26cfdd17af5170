/**
 * The `agent` actor: one agent run of a task (seed 002's agent-run), a turn loop
 *
 *   task.submit → thinking ──llm result with tool calls──▶ acting ──all tool results──▶ thinking …
 *                    └──llm result without tool calls──▶ done (emits task.completed)
 *
 * Provider calls and tool runs are kernel effects; their results come back as journaled
 * `effect.result` commands. The conversation lives in the context, so an `llm.call` effect handler
 * reads `messages` from the actor's context instead of copying them into every journal record.
 */
import { assign, enqueueActions, setup } from 'xstate';
import type { ScriptStep, ToolCall, Usage } from '../schemas/index.js';
import { FAILED_TAG, fx, kernelActions, type KernelEvent } from './contract.js';

export const DEFAULT_MAX_STEPS = 16;

export type AgentMessage =
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls: ToolCall[] }
  | { role: 'tool'; toolCallId: string; name: string; content: string; isError: boolean };

/** What an `llm.call` effect returns. */
export interface LlmReply {
  text: string;
  toolCalls: ToolCall[];
  stopReason: string;
  usage: Usage;
  provider: string;
  model: string;
}

/** What a `tool.run` effect returns. */
export interface ToolReply {
  callId: string;
  output: string;
  isError: boolean;
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
  provider: string;
  result: string | null;
  failure: { code: string; reason: string } | null;
}

type AgentEvent =
  | KernelEvent<'task.submit', { prompt: string; profile?: string; script?: ScriptStep[]; maxSteps?: number }>
  | KernelEvent<'task.cancel', { reason?: string }>
  | KernelEvent<'effect.result', { effectId: string; value: unknown }>
  | KernelEvent<'effect.failed', { effectId: string; error: { code: string; message: string } }>
  | KernelEvent<'timer.fired', { effectId: string }>;

const ZERO_USAGE: Usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };

function addUsage(a: Usage, b: Usage): Usage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheReadTokens: a.cacheReadTokens + b.cacheReadTokens,
    cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
  };
}

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
    fail: enqueueActions(({ event, enqueue }) => {
      const failure =
        event.type === 'task.cancel'
          ? { code: 'cancelled', reason: event.data.reason ?? 'cancelled by request' }
          : event.type === 'effect.failed'
            ? { code: event.data.error.code, reason: event.data.error.message }
            : { code: 'unknown', reason: `unexpected ${event.type}` };
      enqueue.assign({ failure, llmEffect: null, pendingTools: {} });
      enqueue({ type: 'emit', params: { type: 'task.failed', ...failure } });
    }),
  },
  guards: {
    isLlmResult: ({ context, event }) =>
      event.type === 'effect.result' && event.data.effectId === context.llmEffect,
    isLlmFailure: ({ context, event }) =>
      event.type === 'effect.failed' && event.data.effectId === context.llmEffect,
    wantsTools: ({ context, event }) => {
      if (event.type !== 'effect.result') return false;
      const reply = event.data.value as LlmReply;
      return reply.toolCalls.length > 0 && context.step < context.maxSteps;
    },
    isToolResult: ({ context, event }) =>
      event.type === 'effect.result' && context.pendingTools[event.data.effectId] !== undefined,
    isToolFailure: ({ context, event }) =>
      event.type === 'effect.failed' && context.pendingTools[event.data.effectId] !== undefined,
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
    provider: '',
    result: null,
    failure: null,
  },
  states: {
    idle: {
      on: {
        'task.submit': {
          target: 'thinking',
          actions: [
            assign(({ event }) => ({
              prompt: event.data.prompt,
              profile: event.data.profile ?? 'default',
              script: event.data.script ?? null,
              maxSteps: event.data.maxSteps ?? DEFAULT_MAX_STEPS,
              messages: [{ role: 'user' as const, content: event.data.prompt }],
            })),
            { type: 'emit', params: ({ event }) => ({ type: 'task.accepted', prompt: event.data.prompt }) },
            'callLlm',
          ],
        },
      },
    },
    thinking: {
      on: {
        'effect.result': [
          {
            guard: 'isLlmResult',
            actions: enqueueActions(({ context, event, enqueue, check }) => {
              if (event.type !== 'effect.result') return;
              const reply = event.data.value as LlmReply;
              const messages: AgentMessage[] = [
                ...context.messages,
                { role: 'assistant', content: reply.text, toolCalls: reply.toolCalls },
              ];
              const usage = addUsage(context.usage, reply.usage);
              enqueue.assign({ messages, usage, provider: reply.provider, llmEffect: null });
              enqueue({
                type: 'emit',
                params: {
                  type: 'agent.replied',
                  step: context.step,
                  text: reply.text,
                  tools: reply.toolCalls.length,
                  provider: reply.provider,
                  model: reply.model,
                  usage: reply.usage,
                },
              });
              if (check({ type: 'wantsTools' })) {
                const pending: Record<string, string> = {};
                reply.toolCalls.forEach((call, i) => {
                  const id = fx(event, i);
                  pending[id] = call.id;
                  enqueue({ type: 'effect', params: { id, kind: 'tool.run', callId: call.id, name: call.name, input: call.input } });
                });
                enqueue.assign({ pendingTools: pending });
              } else {
                enqueue.assign({ result: reply.text });
                enqueue({
                  type: 'emit',
                  params: { type: 'task.completed', result: reply.text, steps: context.step, provider: reply.provider, usage },
                });
              }
            }),
          },
        ],
        'effect.failed': {
          guard: 'isLlmFailure',
          target: 'failed',
          actions: 'fail',
        },
        'task.cancel': { target: 'cancelled', actions: 'fail' },
      },
      always: [
        { guard: ({ context }) => Object.keys(context.pendingTools).length > 0, target: 'acting' },
        { guard: ({ context }) => context.result !== null, target: 'done' },
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
              messages: [
                ...context.messages,
                { role: 'tool', toolCallId: reply.callId, name: call?.name ?? '', content: reply.output, isError: reply.isError },
              ],
            });
            enqueue({ type: 'emit', params: { type: 'tool.finished', name: call?.name ?? '', isError: reply.isError } });
          }),
        },
        'effect.failed': {
          guard: 'isToolFailure',
          target: 'failed',
          actions: 'fail',
        },
        'task.cancel': { target: 'cancelled', actions: 'fail' },
      },
      always: { guard: ({ context }) => Object.keys(context.pendingTools).length === 0, target: 'thinking', actions: 'callLlm' },
    },
    done: { type: 'final' },
    cancelled: { type: 'final', tags: [FAILED_TAG] },
    failed: { type: 'final', tags: [FAILED_TAG] },
  },
});
