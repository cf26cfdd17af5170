/**
 * Our conversation in the OpenAI Chat Completions shape (also spoken by Gemini's and Kimi's
 * OpenAI-compatible endpoints), and their usage in ours.
 *
 * Usage: OpenAI's cached input is a SUBSET of `prompt_tokens`, so we report
 * `inputTokens = prompt_tokens − cached_tokens` and `cacheReadTokens = cached_tokens`; adding the
 * two gives the prompt back and each part is billed at its own price. These providers do not bill
 * cache writes separately: `cacheWriteTokens` is 0 and such tokens stay in `inputTokens`.
 * Finish reasons are normalised to the Anthropic vocabulary the rest of the system uses.
 */
import type OpenAI from 'openai';
import type { AgentMessage } from '../../actors/index.js';
import type { Usage } from '../../schemas/index.js';
import type { ChatRequest, ToolDefinition } from './provider.js';

type Msg = OpenAI.Chat.Completions.ChatCompletionMessageParam;

/** request parameters without the `stream` switch */
export type OpenAiParams = Omit<OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming, 'stream'>;

export function toOpenAiMessages(system: string | undefined, messages: readonly AgentMessage[]): Msg[] {
  const out: Msg[] = system ? [{ role: 'system', content: system }] : [];
  for (const m of messages) {
    if (m.role === 'user') out.push({ role: 'user', content: m.content });
    else if (m.role === 'assistant') {
      out.push({
        role: 'assistant',
        content: m.content === '' && m.toolCalls.length > 0 ? null : m.content,
        ...(m.toolCalls.length > 0
          ? {
              tool_calls: m.toolCalls.map((c) => ({
                id: c.id,
                type: 'function' as const,
                function: { name: c.name, arguments: JSON.stringify(c.input) },
              })),
            }
          : {}),
      });
    } else out.push({ role: 'tool', tool_call_id: m.toolCallId, content: m.content });
  }
  return out;
}

export function toOpenAiTools(
  tools: readonly ToolDefinition[],
): OpenAI.Chat.Completions.ChatCompletionTool[] {
  return tools.map((t) => ({
    type: 'function',
    function: { name: t.name, description: t.description, parameters: t.inputSchema },
  }));
}

export type MaxTokensParam = 'max_tokens' | 'max_completion_tokens';

export function toOpenAiParams(req: ChatRequest, maxTokensParam: MaxTokensParam): OpenAiParams {
  return {
    model: req.model,
    messages: toOpenAiMessages(req.system, req.messages),
    ...(req.tools.length > 0 ? { tools: toOpenAiTools(req.tools) } : {}),
    ...(req.maxTokens !== undefined ? { [maxTokensParam]: req.maxTokens } : {}),
  };
}

export function fromOpenAiUsage(u: OpenAI.CompletionUsage): Usage {
  const cached = Math.min(u.prompt_tokens_details?.cached_tokens ?? 0, u.prompt_tokens);
  return {
    inputTokens: u.prompt_tokens - cached,
    outputTokens: u.completion_tokens,
    cacheReadTokens: cached,
    cacheWriteTokens: 0,
  };
}

const FINISH: Readonly<Record<string, string>> = {
  stop: 'end_turn',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  length: 'max_tokens',
  content_filter: 'refusal',
};

export function normaliseFinishReason(reason: string): string {
  return FINISH[reason] ?? reason;
}
