/**
 * A call's size before it is made, for reservations against rate limits and budgets: input at
 * about four characters per token (system prompt, messages, tool calls and tool schemas) and
 * output at the full `max_tokens`, so the estimate is an upper bound in the common case and the
 * settlement after the call gives the difference back.
 */
import type { Usage } from '../../schemas/index.js';
import type { ChatRequest } from './provider.js';

export const DEFAULT_MAX_TOKENS = 4096;

export function estimateUsage(req: ChatRequest): Usage {
  let chars = req.system?.length ?? 0;
  for (const m of req.messages) {
    chars += m.content.length;
    if (m.role === 'assistant') chars += JSON.stringify(m.toolCalls).length;
  }
  for (const t of req.tools)
    chars += t.name.length + t.description.length + JSON.stringify(t.inputSchema).length;
  return {
    inputTokens: Math.ceil(chars / 4),
    outputTokens: req.maxTokens ?? DEFAULT_MAX_TOKENS,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
  };
}

export function totalTokens(u: Usage): number {
  return u.inputTokens + u.outputTokens + u.cacheReadTokens + u.cacheWriteTokens;
}
