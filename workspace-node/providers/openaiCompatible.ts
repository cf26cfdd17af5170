/**
 * One provider over the `openai` SDK's Chat Completions API for every OpenAI-compatible service:
 * OpenAI / Codex, Gemini (its OpenAI-compatible endpoint) and Kimi (Moonshot). Only the name,
 * base URL, key and a few dialect switches differ.
 *
 * Streaming asks for `stream_options.include_usage`, so the last chunk carries usage; tool calls
 * arrive as fragments per `index` and are assembled before they are yielded. A stream with no
 * finish_reason is broken (retryable). The SDK's own retries are off (`maxRetries: 0`).
 */
import OpenAI from 'openai';
import type { Usage } from '../../schemas/index.js';
import { errors } from '../errors.js';
import { networkProvider } from './failure.js';
import { fromOpenAiUsage, normaliseFinishReason, toOpenAiParams, type MaxTokensParam } from './openaiWire.js';
import type { ChatRequest, Provider, ProviderEvent } from './provider.js';
import { parseToolInput } from './toolInput.js';

export interface OpenAiCompatibleOptions {
  /** registry name: `openai`, `gemini`, `kimi`, … */
  readonly name: string;
  readonly apiKey: string;
  readonly baseURL?: string;
  /** OpenAI's newer models take `max_completion_tokens`; most compatible endpoints `max_tokens` */
  readonly maxTokensParam?: MaxTokensParam;
  /** false: one non-streaming request per call (default true) */
  readonly streaming?: boolean;
}

/**
 * @example const gemini = openAiCompatibleProvider({ name: 'gemini', apiKey, baseURL: 'https://generativelanguage.googleapis.com/v1beta/openai/' });
 */
export function openAiCompatibleProvider(options: OpenAiCompatibleOptions): Provider {
  const name = options.name;
  const maxTokensParam =
    options.maxTokensParam ?? (name === 'openai' ? 'max_completion_tokens' : 'max_tokens');
  // organization/project: null, so OPENAI_ORG_ID / OPENAI_PROJECT_ID never leak to Gemini or Kimi.
  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseURL ?? null,
    organization: null,
    project: null,
    maxRetries: 0,
  });

  async function* streamed(req: ChatRequest): AsyncGenerator<ProviderEvent> {
    const where = `${name}/${req.model}`;
    const stream = await client.chat.completions.create(
      { ...toOpenAiParams(req, maxTokensParam), stream: true, stream_options: { include_usage: true } },
      { signal: req.signal ?? null },
    );
    const calls = new Map<number, { id: string; name: string; args: string }>();
    let usage: Usage | undefined;
    let model = req.model;
    let finish: string | undefined;
    let chars = 0;
    for await (const chunk of stream) {
      model = chunk.model || model;
      if (chunk.usage) usage = fromOpenAiUsage(chunk.usage);
      for (const choice of chunk.choices) {
        const delta = choice.delta;
        if (delta?.content) {
          chars += delta.content.length;
          yield { type: 'text', delta: delta.content };
        }
        for (const tc of delta?.tool_calls ?? []) {
          const acc = calls.get(tc.index) ?? { id: '', name: '', args: '' };
          if (tc.id) acc.id = tc.id;
          if (tc.function?.name) acc.name = tc.function.name;
          if (tc.function?.arguments) acc.args += tc.function.arguments;
          calls.set(tc.index, acc);
        }
        // Moonshot reports streamed usage inside the final choice rather than a separate chunk.
        const choiceUsage = (choice as { usage?: OpenAI.CompletionUsage }).usage;
        if (choiceUsage) usage = fromOpenAiUsage(choiceUsage);
        if (choice.finish_reason) finish = choice.finish_reason;
      }
    }
    if (finish === undefined)
      throw errors.PROVIDER_UNAVAILABLE(`${where}: stream ended without a finish_reason`);
    const ordered = [...calls.entries()].sort(([a], [b]) => a - b);
    for (const [i, c] of ordered) {
      if (!c.name) throw errors.PROVIDER_BAD_RESPONSE(`${where}: tool call ${i} has no function name`);
      const id = c.id || `${req.idempotencyKey}-t${i}`;
      yield { type: 'tool_call', call: { id, name: c.name, input: parseToolInput(c.args, where) } };
    }
    yield {
      type: 'done',
      stopReason: normaliseFinishReason(finish),
      usage: usage ?? estimateUsage(req, chars),
      model,
    };
  }

  async function* whole(req: ChatRequest): AsyncGenerator<ProviderEvent> {
    const where = `${name}/${req.model}`;
    const res = await client.chat.completions.create(
      { ...toOpenAiParams(req, maxTokensParam), stream: false },
      { signal: req.signal ?? null },
    );
    const choice = res.choices[0];
    if (!choice) throw errors.PROVIDER_BAD_RESPONSE(`${where}: response has no choices`);
    const text = choice.message.content ?? '';
    if (text !== '') yield { type: 'text', delta: text };
    for (const [i, tc] of (choice.message.tool_calls ?? []).entries()) {
      if (tc.type !== 'function') continue;
      const id = tc.id || `${req.idempotencyKey}-t${i}`;
      yield {
        type: 'tool_call',
        call: { id, name: tc.function.name, input: parseToolInput(tc.function.arguments, where) },
      };
    }
    yield {
      type: 'done',
      stopReason: normaliseFinishReason(choice.finish_reason),
      usage: res.usage ? fromOpenAiUsage(res.usage) : estimateUsage(req, text.length),
      model: res.model || req.model,
    };
  }

  return networkProvider(name, options.streaming !== false, { streamed, whole });
}

/**
 * A compatible endpoint that ignores include_usage still costs money: bill an estimate (about
 * four characters per token) rather than zero.
 */
function estimateUsage(req: ChatRequest, outputChars: number): Usage {
  const inputChars = (req.system?.length ?? 0) + req.messages.reduce((n, m) => n + m.content.length, 0);
  return {
    inputTokens: Math.ceil(inputChars / 4),
    outputTokens: Math.ceil(outputChars / 4),
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
  };
}
