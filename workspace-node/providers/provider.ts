/**
 * The one streaming interface every LLM provider implements (Anthropic, OpenAI/Codex, Gemini,
 * Kimi, and the offline `scripted` provider): text deltas, tool calls, stop reason and usage
 * (input, output, cache-read, cache-write tokens). `complete()` folds a stream into the
 * {@link LlmReply} that the agent machine receives as an effect result.
 */
import type { AgentMessage, LlmReply } from '../../actors/index.js';
import type { ScriptStep, ToolCall, Usage } from '../../schemas/index.js';

export interface ToolDefinition {
  readonly name: string;
  readonly description: string;
  /** JSON Schema of the tool's input object */
  readonly inputSchema: Record<string, unknown>;
}

export interface ChatRequest {
  readonly model: string;
  readonly system?: string;
  readonly messages: readonly AgentMessage[];
  readonly tools: readonly ToolDefinition[];
  readonly maxTokens?: number;
  readonly signal?: AbortSignal;
  /** the effect id: stable across re-drives of the same call */
  readonly idempotencyKey: string;
  /** scripted provider only: the task's script and the step to play */
  readonly script?: readonly ScriptStep[] | null;
  readonly step: number;
}

export type ProviderEvent =
  | { readonly type: 'text'; readonly delta: string }
  | { readonly type: 'tool_call'; readonly call: ToolCall }
  | { readonly type: 'done'; readonly stopReason: string; readonly usage: Usage; readonly model: string }
  /** usage the provider reported so far (e.g. the input at a stream's start): billed even if it breaks */
  | { readonly type: 'usage'; readonly usage: Usage };

export interface Provider {
  /** `anthropic`, `openai`, `gemini`, `kimi`, `scripted`, … */
  readonly name: string;
  /** true for providers that never leave the machine (labelled as such in every output) */
  readonly offline: boolean;
  stream(request: ChatRequest): AsyncIterable<ProviderEvent>;
}

/** Runs a provider stream to its end; `onDelta` sees each text delta (for live views). */
/** Usage a provider reported before its attempt failed (billed all the same), by the error thrown. */
const billedBeforeFailure = new WeakMap<object, Usage>();

/** What the provider had billed when the attempt that threw `err` failed; undefined: nothing reported. */
export function usageBilledBefore(err: unknown): Usage | undefined {
  return typeof err === 'object' && err !== null ? billedBeforeFailure.get(err) : undefined;
}

/** Carries the billed usage of `from` over to `to` (an error re-classified on the way up). */
export function carryBilledUsage(from: unknown, to: object): void {
  const u = usageBilledBefore(from);
  if (u) billedBeforeFailure.set(to, u);
}

export async function complete(
  provider: Provider,
  request: ChatRequest,
  onDelta?: (delta: string) => void,
): Promise<LlmReply> {
  let text = '';
  const toolCalls: ToolCall[] = [];
  let done: Extract<ProviderEvent, { type: 'done' }> | undefined;
  let billed: Usage | undefined;
  try {
    for await (const ev of provider.stream(request)) {
      if (ev.type === 'text') {
        text += ev.delta;
        onDelta?.(ev.delta);
      } else if (ev.type === 'tool_call') toolCalls.push(ev.call);
      else if (ev.type === 'usage') billed = ev.usage;
      else done = ev;
    }
    if (!done) throw new Error(`provider ${provider.name} ended its stream without a done event`);
  } catch (err) {
    if (billed && typeof err === 'object' && err !== null) billedBeforeFailure.set(err, billed);
    throw err;
  }
  return {
    text,
    toolCalls,
    stopReason: done.stopReason,
    usage: done.usage,
    provider: provider.name,
    model: done.model,
  };
}
