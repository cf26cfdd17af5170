/**
 * The Anthropic provider: Messages API over `@anthropic-ai/sdk`, streaming by default. Text deltas
 * are yielded as they arrive; a tool_use block becomes one `tool_call` event when its block stops
 * (its input JSON is accumulated from `input_json_delta` fragments); the `done` event carries the
 * stop reason and usage including cache read/write tokens.
 *
 * The SDK's own retries are off (`maxRetries: 0`): the router's retry policy is the only one.
 * A stream that ends without `message_stop` is a broken stream (retryable), never a short reply.
 */
import Anthropic from '@anthropic-ai/sdk';
import type { ToolCall } from '../../schemas/index.js';
import { errors } from '../errors.js';
import { mergeAnthropicUsage, toAnthropicParams, ZERO_USAGE } from './anthropicWire.js';
import { networkProvider } from './failure.js';
import type { ChatRequest, Provider, ProviderEvent } from './provider.js';
import { asToolInput, parseToolInput } from './toolInput.js';

export interface AnthropicProviderOptions {
  readonly apiKey: string;
  readonly baseURL?: string;
  /** registry name (default `anthropic`) */
  readonly name?: string;
  /** max_tokens when the request gives none */
  readonly defaultMaxTokens?: number;
  /** false: one non-streaming request per call (default true) */
  readonly streaming?: boolean;
  /** false: no `cache_control` breakpoints (default true: see anthropicWire.ts withCacheBreakpoints) */
  readonly promptCaching?: boolean;
}

/**
 * @example const claude = anthropicProvider({ apiKey: process.env.ANTHROPIC_API_KEY! });
 *          const reply = await complete(claude, { model: 'claude-sonnet-5-5', messages, tools: [], idempotencyKey: 'e1', step: 0 });
 */
export function anthropicProvider(options: AnthropicProviderOptions): Provider {
  const name = options.name ?? 'anthropic';
  const defaultMaxTokens = options.defaultMaxTokens ?? 4096;
  const client = new Anthropic({
    apiKey: options.apiKey,
    authToken: null,
    baseURL: options.baseURL ?? null,
    maxRetries: 0,
  });

  async function* streamed(req: ChatRequest): AsyncGenerator<ProviderEvent> {
    const where = `${name}/${req.model}`;
    const stream = await client.messages.create(
      { ...toAnthropicParams(req, defaultMaxTokens, options.promptCaching !== false), stream: true },
      { signal: req.signal ?? null },
    );
    const toolBlocks = new Map<number, { id: string; name: string; json: string; initial: unknown }>();
    let usage = ZERO_USAGE;
    let model = req.model;
    let stopReason = 'end_turn';
    let stopped = false;
    for await (const ev of stream) {
      switch (ev.type) {
        case 'message_start':
          model = ev.message.model || model;
          usage = mergeAnthropicUsage(usage, ev.message.usage);
          // billed even if the stream breaks later: the router counts it on a failed attempt
          yield { type: 'usage', usage };
          break;
        case 'content_block_start': {
          const block = ev.content_block;
          if (block.type === 'tool_use') {
            toolBlocks.set(ev.index, { id: block.id, name: block.name, json: '', initial: block.input });
          } else if (block.type === 'text' && block.text !== '') yield { type: 'text', delta: block.text };
          break;
        }
        case 'content_block_delta':
          if (ev.delta.type === 'text_delta') yield { type: 'text', delta: ev.delta.text };
          else if (ev.delta.type === 'input_json_delta') {
            const tb = toolBlocks.get(ev.index);
            if (tb) tb.json += ev.delta.partial_json;
          }
          break;
        case 'content_block_stop': {
          const tb = toolBlocks.get(ev.index);
          if (tb) {
            toolBlocks.delete(ev.index);
            const input = tb.json !== '' ? parseToolInput(tb.json, where) : asToolInput(tb.initial, where);
            const call: ToolCall = { id: tb.id, name: tb.name, input };
            yield { type: 'tool_call', call };
          }
          break;
        }
        case 'message_delta':
          stopReason = ev.delta.stop_reason ?? stopReason;
          usage = mergeAnthropicUsage(usage, ev.usage);
          break;
        case 'message_stop':
          stopped = true;
          break;
      }
    }
    if (!stopped) throw errors.PROVIDER_UNAVAILABLE(`${where}: stream ended before message_stop`);
    yield { type: 'done', stopReason, usage, model };
  }

  async function* whole(req: ChatRequest): AsyncGenerator<ProviderEvent> {
    const where = `${name}/${req.model}`;
    const msg = await client.messages.create(
      { ...toAnthropicParams(req, defaultMaxTokens, options.promptCaching !== false), stream: false },
      { signal: req.signal ?? null },
    );
    for (const block of msg.content) {
      if (block.type === 'text' && block.text !== '') yield { type: 'text', delta: block.text };
      else if (block.type === 'tool_use') {
        yield {
          type: 'tool_call',
          call: { id: block.id, name: block.name, input: asToolInput(block.input, where) },
        };
      }
    }
    yield {
      type: 'done',
      stopReason: msg.stop_reason ?? 'end_turn',
      usage: mergeAnthropicUsage(ZERO_USAGE, msg.usage),
      model: msg.model || req.model,
    };
  }

  return networkProvider(name, options.streaming !== false, { streamed, whole });
}
