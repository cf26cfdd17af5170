/**
 * Provider configuration: API keys, base URLs and default models, from the environment or an
 * explicit object, validated once at start-up. With no key configured the offline `scripted`
 * provider serves every profile, so the platform runs anywhere (and says so in every reply).
 *
 *   ANTHROPIC_API_KEY  ANTHROPIC_BASE_URL
 *   OPENAI_API_KEY     OPENAI_BASE_URL        (also serves the `codex` profile)
 *   GEMINI_API_KEY     GEMINI_BASE_URL        default https://generativelanguage.googleapis.com/v1beta/openai/
 *   KIMI_API_KEY       KIMI_BASE_URL          default https://api.moonshot.ai/v1
 */
import { errors } from '../errors.js';
import { anthropicProvider } from './anthropic.js';
import { openAiCompatibleProvider } from './openaiCompatible.js';
import { DEFAULT_SYSTEM_PROMPT, type AgentProfile, type ModelTarget } from './profiles.js';
import type { Provider } from './provider.js';
import { SCRIPTED_MODEL, scriptedProvider, type ScriptedOptions } from './scripted.js';

export const PROVIDER_NAMES = ['anthropic', 'openai', 'gemini', 'kimi'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export interface ProviderEndpoint {
  readonly apiKey: string;
  readonly baseURL?: string;
  /** the model of this provider's profile (default: {@link DEFAULT_MODELS}) */
  readonly model?: string;
  /** false: non-streaming requests (default true) */
  readonly streaming?: boolean;
}

export type ProvidersConfig = { readonly [P in ProviderName]?: ProviderEndpoint } & {
  readonly scripted?: ScriptedOptions;
};

export const DEFAULT_MODELS: Readonly<Record<ProviderName | 'codex', string>> = {
  anthropic: 'claude-sonnet-5-5',
  openai: 'gpt-5',
  codex: 'gpt-5-codex',
  gemini: 'gemini-2.5-flash',
  kimi: 'kimi-k2-0905-preview',
};

export const DEFAULT_BASE_URLS: Readonly<Partial<Record<ProviderName, string>>> = {
  gemini: 'https://generativelanguage.googleapis.com/v1beta/openai/',
  kimi: 'https://api.moonshot.ai/v1',
};

/** Reads `<NAME>_API_KEY` / `<NAME>_BASE_URL`; an empty key counts as unset. */
export function providersConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ProvidersConfig {
  const out: { -readonly [P in ProviderName]?: ProviderEndpoint } = {};
  for (const name of PROVIDER_NAMES) {
    const prefix = name.toUpperCase();
    const apiKey = env[`${prefix}_API_KEY`]?.trim();
    if (!apiKey) continue;
    const baseURL = env[`${prefix}_BASE_URL`]?.trim() || DEFAULT_BASE_URLS[name];
    out[name] = { apiKey, ...(baseURL ? { baseURL } : {}) };
  }
  return checkConfig(out);
}

/** Validates base URLs and keys; throws MOE_ERR_CONFIG naming the provider. */
export function checkConfig(config: ProvidersConfig): ProvidersConfig {
  for (const name of PROVIDER_NAMES) {
    const ep = config[name];
    if (!ep) continue;
    if (!ep.apiKey) throw errors.CONFIG(`${name}: empty API key`);
    if (ep.baseURL !== undefined) {
      let url: URL;
      try {
        url = new URL(ep.baseURL);
      } catch (cause) {
        throw errors.CONFIG(`${name}: base URL ${JSON.stringify(ep.baseURL)} is not a URL`, { cause });
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:')
        throw errors.CONFIG(`${name}: base URL must be http(s)`);
    }
  }
  return config;
}

/** The configured providers by name; `scripted` is always present. */
export function createProviders(config: ProvidersConfig): Map<string, Provider> {
  checkConfig(config);
  const providers = new Map<string, Provider>([['scripted', scriptedProvider(config.scripted)]]);
  const { anthropic, openai, gemini, kimi } = config;
  if (anthropic) providers.set('anthropic', anthropicProvider({ ...anthropic, name: 'anthropic' }));
  for (const [name, ep] of [
    ['openai', openai],
    ['gemini', gemini],
    ['kimi', kimi],
  ] as const) {
    if (ep) providers.set(name, openAiCompatibleProvider({ ...ep, name }));
  }
  return providers;
}

/**
 * One profile per configured provider (`anthropic` alias `claude`, `openai`, `codex`, `gemini`,
 * `kimi`), each falling back to the other configured providers; `default` is the first configured
 * of anthropic → openai → gemini → kimi, or `scripted` when none is. The scripted provider is never
 * a fallback for a real one: a silent fake answer is worse than a clear error.
 */
export function defaultProfiles(config: ProvidersConfig): Record<string, AgentProfile> {
  const targets: (ModelTarget & { profile: string })[] = [];
  for (const name of PROVIDER_NAMES) {
    const ep = config[name];
    if (ep) targets.push({ profile: name, provider: name, model: ep.model ?? DEFAULT_MODELS[name] });
  }
  const profile = (name: string, primary: ModelTarget): AgentProfile => ({
    name,
    provider: primary.provider,
    model: primary.model,
    system: DEFAULT_SYSTEM_PROMPT,
    fallbacks: targets
      .filter((t) => t.provider !== primary.provider)
      .map(({ provider, model }) => ({ provider, model })),
  });
  const scripted: AgentProfile = { name: 'scripted', provider: 'scripted', model: SCRIPTED_MODEL };
  const profiles: Record<string, AgentProfile> = { scripted };
  for (const t of targets) profiles[t.profile] = profile(t.profile, t);
  if (config.anthropic)
    profiles.claude = profile('claude', {
      provider: 'anthropic',
      model: config.anthropic.model ?? DEFAULT_MODELS.anthropic,
    });
  if (config.openai) profiles.codex = profile('codex', { provider: 'openai', model: DEFAULT_MODELS.codex });
  const first = targets[0];
  profiles.default = first ? profile('default', first) : { ...scripted, name: 'default' };
  return profiles;
}
