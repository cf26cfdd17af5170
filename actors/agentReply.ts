/**
 * What the agent and coordinator machines receive from their effects, and the pure helpers both
 * use to account for it: token usage and exact money (integer µ$) summed over calls, and the
 * `usage.recorded` domain event (seed 002's usage event) built from one journaled `llm.call`
 * result. No I/O: everything here is read from journaled effect results.
 */
import type { ArtifactRef, CallAttempts, EventOf, ToolCall, Usage } from '../schemas/index.js';
import type { EffectRequest, EmitRequest } from './contract.js';

/** The `enqueue` of an `enqueueActions` body, narrowed to the kernel's two actions. */
export type Enqueue = (
  action: { type: 'effect'; params: EffectRequest } | { type: 'emit'; params: EmitRequest },
) => void;

/** What an `llm.call` effect returns (journaled as the effect's result value). */
export interface LlmReply {
  text: string;
  toolCalls: ToolCall[];
  stopReason: string;
  usage: Usage;
  /** the provider that served the call */
  provider: string;
  /** the model that was asked for and priced */
  model: string;
  /** the model the provider reported, when it differs (a dated snapshot) */
  servedModel?: string;
  /** provider cost, µ$ (scripted: 0) */
  costMicros?: number;
  /** customer price = cost × markup, µ$ */
  priceMicros?: number;
  markup?: number;
  priceTable?: string;
  /** wall time of the call as the effect handler measured it, ms */
  durationMs?: number;
  /** names of tools in `toolCalls` that the node's toolset says need approval */
  approval?: string[];
  /** who is billed: the caller's address, filled by the effect handler */
  org?: string;
  ws?: string;
  actor?: string;
  /** failed attempts (429s, retries, fallbacks) before the reply, per target; absent: none */
  attempts?: CallAttempts[];
}

/** What a `tool.run` effect returns. */
export interface ToolReply {
  callId: string;
  output: string;
  isError: boolean;
  /** files the call wrote (absent: none) */
  artifacts?: ArtifactRef[];
}

export const ZERO_USAGE: Usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };

export function addUsage(a: Usage, b: Usage): Usage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheReadTokens: a.cacheReadTokens + b.cacheReadTokens,
    cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
  };
}

/** Running totals of a task's calls. */
export interface Spend {
  usage: Usage;
  costMicros: number;
  priceMicros: number;
}

export function addSpend(total: Spend, reply: Pick<LlmReply, 'usage' | 'costMicros' | 'priceMicros'>): Spend {
  return {
    usage: addUsage(total.usage, reply.usage),
    costMicros: total.costMicros + (reply.costMicros ?? 0),
    priceMicros: total.priceMicros + (reply.priceMicros ?? 0),
  };
}

/** The `agent.replied` event of one LLM call: what live views and the messages projection show. */
export function agentReplied(reply: LlmReply, step: number, tools: number): EventOf<'agent.replied'> {
  return {
    type: 'agent.replied',
    step,
    text: reply.text,
    tools,
    provider: reply.provider,
    model: reply.model,
    usage: reply.usage,
    costMicros: reply.costMicros ?? 0,
    priceMicros: reply.priceMicros ?? 0,
  };
}

/** The `usage.recorded` event of one call: what billing and metrics aggregate. */
export function usageRecorded(reply: LlmReply, effectId: string, step: number): EventOf<'usage.recorded'> {
  return {
    type: 'usage.recorded',
    effectId,
    step,
    provider: reply.provider,
    model: reply.model,
    usage: reply.usage,
    costMicros: reply.costMicros ?? 0,
    priceMicros: reply.priceMicros ?? 0,
    ...(reply.markup !== undefined ? { markup: reply.markup } : {}),
    ...(reply.priceTable !== undefined ? { priceTable: reply.priceTable } : {}),
    ...(reply.durationMs !== undefined ? { durationMs: reply.durationMs } : {}),
    ...(reply.org !== undefined ? { org: reply.org } : {}),
    ...(reply.ws !== undefined ? { ws: reply.ws } : {}),
    ...(reply.actor !== undefined ? { actor: reply.actor } : {}),
    ...(reply.attempts?.length ? { attempts: reply.attempts } : {}),
  };
}
