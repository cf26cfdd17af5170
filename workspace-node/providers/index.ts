/**
 * The providers folder's public door: the provider interface and its implementations (Anthropic,
 * OpenAI-compatible, scripted), the router with its retry policy, circuit breakers, prices and
 * plans, and the configuration that wires them from the environment.
 */
export {
  complete,
  type ChatRequest,
  type Provider,
  type ProviderEvent,
  type ToolDefinition,
} from './provider.js';
export { scriptedProvider, demoScript, SCRIPTED_MODEL, type ScriptedOptions } from './scripted.js';
export { anthropicProvider, type AnthropicProviderOptions } from './anthropic.js';
export { openAiCompatibleProvider, type OpenAiCompatibleOptions } from './openaiCompatible.js';
export { classifyProviderError, parseRetryAfter, type ClassifyContext } from './classify.js';
export { withRetry, DEFAULT_RETRY_POLICY, type RetryPolicy, type RetryOptions } from './retry.js';
export {
  CircuitBreaker,
  BreakerRegistry,
  DEFAULT_BREAKER_OPTIONS,
  type BreakerOptions,
  type BreakerSnapshot,
  type BreakerState,
} from './circuitBreaker.js';
export {
  costOf,
  costPicos,
  priceOf,
  lookupPrice,
  PRICE_TABLE_V1,
  DEFAULT_PRICE_TABLE,
  type ModelPrice,
  type PriceTable,
} from './prices.js';
export {
  planNamed,
  planResolver,
  DEFAULT_PLANS,
  type Plan,
  type PlanConfig,
  type PlanLimits,
  type PlanOf,
} from './plans.js';
export { estimateUsage, totalTokens, DEFAULT_MAX_TOKENS } from './estimate.js';
export {
  fitToContext,
  messageBudget,
  tokensOf,
  type ContextLimits,
  type FittedContext,
} from './contextPolicy.js';
export { CONTEXT_WINDOWS, DEFAULT_CONTEXT_WINDOW, contextWindowOf } from './contextWindows.js';
export type { CallGate, GateRequest, GateTicket } from './gate.js';
export {
  chainOf,
  profileOf,
  DEFAULT_SYSTEM_PROMPT,
  type AgentProfile,
  type ModelTarget,
} from './profiles.js';
export {
  createRouter,
  DEFAULT_TIMEOUT_MS,
  type ProviderRouter,
  type RouterOptions,
  type RouterCall,
  type RoutedReply,
  type AttemptInfo,
  type AttemptRecord,
} from './router.js';
export {
  providersConfigFromEnv,
  checkConfig,
  createProviders,
  defaultProfiles,
  DEFAULT_MODELS,
  DEFAULT_BASE_URLS,
  PROVIDER_NAMES,
  type ProviderEndpoint,
  type ProviderName,
  type ProvidersConfig,
} from './config.js';
export { ProjectConfig, loadProjectConfig, parseProjectConfig, projectProfiles } from './projectConfig.js';
export type { AttemptOutcome, ProviderObserver } from './providerObserver.js';
