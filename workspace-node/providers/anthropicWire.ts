/**
 * Our conversation (`AgentMessage[]`, `ToolDefinition[]`) in the Anthropic Messages API's shape,
 * and Anthropic usage in ours.
 *
 * Anthropic wants strictly alternating user/assistant turns and all tool results of an assistant
 * turn in the next user message, so consecutive tool results (and a user message after them) are
 * merged into one user message. Its `input_tokens` already exclude cached tokens. The stable prefix
 * of the conversation is marked for prompt caching ({@link withCacheBreakpoints}).
 */
import type Anthropic from '@anthropic-ai/sdk';
import type { AgentMessage } from '../../actors/index.js';
import type { Usage } from '../../schemas/index.js';
import type { ChatRequest, ToolDefinition } from './provider.js';

type Block = Anthropic.ContentBlockParam;

/** request parameters without the `stream` switch */
export type AnthropicParams = Omit<Anthropic.MessageCreateParamsNonStreaming, 'stream'>;

export function toAnthropicMessages(messages: readonly AgentMessage[]): Anthropic.MessageParam[] {
  const out: { role: 'user' | 'assistant'; content: Block[] }[] = [];
  const push = (role: 'user' | 'assistant', blocks: Block[]) => {
    const last = out[out.length - 1];
    if (last && last.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  };
  for (const m of messages) {
    if (m.role === 'user') push('user', [{ type: 'text', text: m.content }]);
    else if (m.role === 'assistant') {
      const blocks: Block[] = [];
      if (m.content !== '') blocks.push({ type: 'text', text: m.content });
      for (const c of m.toolCalls) blocks.push({ type: 'tool_use', id: c.id, name: c.name, input: c.input });
      if (blocks.length === 0) blocks.push({ type: 'text', text: '(no reply)' });
      push('assistant', blocks);
    } else {
      push('user', [
        { type: 'tool_result', tool_use_id: m.toolCallId, content: m.content, is_error: m.isError },
      ]);
    }
  }
  return out;
}

export function toAnthropicTools(tools: readonly ToolDefinition[]): Anthropic.Tool[] {
  return tools.map((t) => ({
    name: t.name,
    description: t.description,
    input_schema: { type: 'object', ...t.inputSchema },
  }));
}

/**
 * Prompt caching: marks the stable prefix of the conversation with `cache_control` (ephemeral), at
 * most two breakpoints:
 *   - the end of the whole request: the next call of this conversation (the next step, or a
 *     follow-up message) starts with exactly these blocks, so it reads them from the cache;
 *   - the end of the message before the last assistant reply: where the previous call's own last
 *     breakpoint was, so this call reads what that one wrote.
 * Tools and the system prompt come before the messages, so they are inside the cached prefix too.
 * A cache write costs 1.25× input and a read 0.1× (price table), so a conversation that goes on
 * pays less from its second call on. Anthropic ignores breakpoints on prefixes below its minimum
 * cacheable length, so short conversations cost the same as without.
 */
export function withCacheBreakpoints(messages: Anthropic.MessageParam[]): Anthropic.MessageParam[] {
  const lastAssistant = messages.findLastIndex((m) => m.role === 'assistant');
  const marks = new Set([messages.length - 1, lastAssistant - 1].filter((i) => i >= 0));
  return messages.map((m, i) => {
    if (!marks.has(i) || typeof m.content === 'string' || m.content.length === 0) return m;
    const content = [...m.content] as Block[];
    const last = content.length - 1;
    content[last] = { ...content[last], cache_control: { type: 'ephemeral' } } as Block;
    return { ...m, content } as Anthropic.MessageParam;
  });
}

export function toAnthropicParams(
  req: ChatRequest,
  defaultMaxTokens: number,
  promptCaching = true,
): AnthropicParams {
  const messages = toAnthropicMessages(req.messages);
  return {
    model: req.model,
    max_tokens: req.maxTokens ?? defaultMaxTokens,
    messages: promptCaching ? withCacheBreakpoints(messages) : messages,
    ...(req.system ? { system: req.system } : {}),
    ...(req.tools.length > 0 ? { tools: toAnthropicTools(req.tools) } : {}),
  };
}

/** The subset of Anthropic usage fields we bill on (message_start, message_delta or a whole Message). */
export interface AnthropicUsageLike {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

/** Folds a usage report into `into`: message_delta counts are cumulative, so non-null fields replace. */
export function mergeAnthropicUsage(into: Usage, u: AnthropicUsageLike): Usage {
  return {
    inputTokens: u.input_tokens ?? into.inputTokens,
    outputTokens: u.output_tokens ?? into.outputTokens,
    cacheReadTokens: u.cache_read_input_tokens ?? into.cacheReadTokens,
    cacheWriteTokens: u.cache_creation_input_tokens ?? into.cacheWriteTokens,
  };
}

export const ZERO_USAGE: Usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
