/**
 * How many tokens each model can read in one request (its context window), keyed like the price
 * table (`provider/model`). The context policy (contextPolicy.ts) fits a conversation into it. A
 * profile may set its own `contextWindow` (a model not listed here, or a tighter bound to spend
 * less); a model that is in neither gets {@link DEFAULT_CONTEXT_WINDOW}, a size every listed model
 * can take, so an unknown model is never sent more than the smallest common window.
 */
export const CONTEXT_WINDOWS: Readonly<Record<string, number>> = {
  'scripted/scripted-v1': 200_000,
  'anthropic/claude-sonnet-5-5': 200_000,
  'anthropic/claude-opus-4-5': 200_000,
  'anthropic/claude-opus-4-1': 200_000,
  'anthropic/claude-sonnet-4-5': 200_000,
  'anthropic/claude-sonnet-4-0': 200_000,
  'anthropic/claude-haiku-4-5': 200_000,
  'openai/gpt-5': 400_000,
  'openai/gpt-5-mini': 400_000,
  'openai/gpt-5-nano': 400_000,
  'openai/gpt-5-codex': 400_000,
  'openai/gpt-4.1': 1_047_576,
  'openai/gpt-4o': 128_000,
  'gemini/gemini-2.5-pro': 1_048_576,
  'gemini/gemini-2.5-flash': 1_048_576,
  'gemini/gemini-2.5-flash-lite': 1_048_576,
  'kimi/kimi-k2-0905-preview': 262_144,
  'kimi/kimi-k2-turbo-preview': 262_144,
};

export const DEFAULT_CONTEXT_WINDOW = 128_000;

/** The context window of `provider/model`: the profile's own, the table's, or the default. */
export function contextWindowOf(provider: string, model: string, override?: number): number {
  return override ?? CONTEXT_WINDOWS[`${provider}/${model}`] ?? DEFAULT_CONTEXT_WINDOW;
}
