/**
 * The providers' list prices (USD per million tokens), in versioned tables keyed `provider/model`:
 * data shared by the workspace-node, which prices every call with them
 * (workspace-node/providers/prices.ts, exact integer arithmetic), and the gateway, which
 * estimates savings with them (gateway/usageSuggestions.ts). A call's `usage.recorded` event names
 * the table version it was priced with; a version, once used, is never edited — a price change is
 * a new table ({@link PRICE_TABLES} keeps every one).
 *
 * {@link PRICE_SOURCES} records, per entry of the current table, where its price was checked and
 * when (issue 12, item 7; docs/billing.md "Prices").
 */

/** USD per million tokens. Up to 6 decimal places are exact. */
export interface ModelPrice {
  readonly input: number;
  readonly output: number;
  readonly cacheRead: number;
  readonly cacheWrite: number;
}

export interface PriceTable {
  /** bump when any price changes; recorded with every usage record */
  readonly version: string;
  /** ISO date from which these prices apply */
  readonly effectiveFrom: string;
  readonly models: Readonly<Record<string, ModelPrice>>;
}

const free: ModelPrice = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };

/**
 * The first table, entered from memory (kept as it was: calls journaled with version 2025-10-01
 * were priced with it). Its claude-sonnet-5-5 entry was a guess (the Sonnet 4.x tier) and wrong.
 */
export const PRICE_TABLE_V1: PriceTable = {
  version: '2025-10-01',
  effectiveFrom: '2025-10-01',
  models: {
    'scripted/scripted-v1': free,
    'anthropic/claude-sonnet-5-5': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
    'anthropic/claude-opus-4-5': { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 },
    'anthropic/claude-opus-4-1': { input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75 },
    'anthropic/claude-sonnet-4-5': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
    'anthropic/claude-sonnet-4-0': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
    'anthropic/claude-haiku-4-5': { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 },
    'openai/gpt-5': { input: 1.25, output: 10, cacheRead: 0.125, cacheWrite: 0 },
    'openai/gpt-5-mini': { input: 0.25, output: 2, cacheRead: 0.025, cacheWrite: 0 },
    'openai/gpt-5-nano': { input: 0.05, output: 0.4, cacheRead: 0.005, cacheWrite: 0 },
    'openai/gpt-5-codex': { input: 1.25, output: 10, cacheRead: 0.125, cacheWrite: 0 },
    'openai/gpt-4.1': { input: 2, output: 8, cacheRead: 0.5, cacheWrite: 0 },
    'openai/gpt-4o': { input: 2.5, output: 10, cacheRead: 1.25, cacheWrite: 0 },
    'gemini/gemini-2.5-pro': { input: 1.25, output: 10, cacheRead: 0.125, cacheWrite: 0 },
    'gemini/gemini-2.5-flash': { input: 0.3, output: 2.5, cacheRead: 0.03, cacheWrite: 0 },
    'gemini/gemini-2.5-flash-lite': { input: 0.1, output: 0.4, cacheRead: 0.01, cacheWrite: 0 },
    'kimi/kimi-k2-0905-preview': { input: 0.6, output: 2.5, cacheRead: 0.15, cacheWrite: 0 },
    'kimi/kimi-k2-turbo-preview': { input: 1.15, output: 8, cacheRead: 0.15, cacheWrite: 0 },
  },
};

/**
 * Standard (non-batch, short-prompt) list prices, checked 2026-12-03 (see PRICE_SOURCES). Changed
 * from V1: claude-sonnet-5-5 (V1's guess was the Sonnet 4.x tier). cacheWrite is the 5-minute
 * cache write for Anthropic, and 0 for OpenAI-compatible providers and Gemini, which bill no cache
 * write per token (Gemini bills cache storage per hour, which no call records). Long-prompt tiers
 * (Gemini 2.5 Pro over 200k tokens) are not modelled.
 */
export const PRICE_TABLE_V2: PriceTable = {
  version: '2026-12-03',
  effectiveFrom: '2026-12-03',
  models: {
    ...PRICE_TABLE_V1.models,
    'anthropic/claude-sonnet-5-5': { input: 2, output: 10, cacheRead: 0.1, cacheWrite: 2.5 },
  },
};

export const DEFAULT_PRICE_TABLE = PRICE_TABLE_V2;

/** Every table ever used, by version (an invoice re-reads the prices a call was journaled with). */
export const PRICE_TABLES: Readonly<Record<string, PriceTable>> = {
  [PRICE_TABLE_V1.version]: PRICE_TABLE_V1,
  [PRICE_TABLE_V2.version]: PRICE_TABLE_V2,
};

/**
 * How an entry was checked: `official` against the provider's own pricing page (a stored copy),
 * `secondary` against pages that quote it (the official page's row was not in the stored copies
 * searched), `partial` when one of its four prices could not be found published and is derived
 * from the provider's documented rule (named in `note`).
 */
export interface PriceSource {
  readonly checked: string;
  readonly status: 'official' | 'secondary' | 'partial' | 'internal';
  readonly source: string;
  readonly note?: string;
}

const CHECKED = '2026-12-03';
const ANTHROPIC = 'https://platform.claude.com/docs/en/about-claude/pricing';
const OPENAI = 'https://developers.openai.com/api/docs/pricing';
const GEMINI = 'https://ai.google.dev/gemini-api/docs/pricing';
const MOONSHOT = 'https://platform.moonshot.ai/docs/pricing/chat';

/** Where each entry of {@link DEFAULT_PRICE_TABLE} was checked, and when. */
export const PRICE_SOURCES: Readonly<Record<string, PriceSource>> = {
  'scripted/scripted-v1': {
    checked: CHECKED,
    status: 'internal',
    source: 'the built-in scripted provider: free',
  },
  'anthropic/claude-sonnet-5-5': {
    checked: CHECKED,
    status: 'secondary',
    source: `${ANTHROPIC} as quoted by docs.rs/synaps (pricing module), kurofune/claudit v1.9.2, TheKrush/PromptFuel v1.0.23`,
    note: '$2 in / $10 out, 5m cache write $2.50; cache hits cut from $0.20 to $0.10 on 2026-10-07',
  },
  'anthropic/claude-opus-4-5': { checked: CHECKED, status: 'official', source: ANTHROPIC },
  'anthropic/claude-opus-4-1': { checked: CHECKED, status: 'official', source: ANTHROPIC },
  'anthropic/claude-sonnet-4-5': {
    checked: CHECKED,
    status: 'secondary',
    source: `${ANTHROPIC} as quoted by deploybase.ai/articles/claude-api-pricing (2026-03) and docs.rs/synaps ("Sonnet (other)")`,
    note: 'cache prices from the documented multipliers (hit 0.1×, 5m write 1.25× input)',
  },
  'anthropic/claude-sonnet-4-0': {
    checked: CHECKED,
    status: 'official',
    source: 'https://docs.anthropic.com/en/docs/about-claude/pricing (Claude Sonnet 4 row)',
  },
  'anthropic/claude-haiku-4-5': {
    checked: CHECKED,
    status: 'secondary',
    source: `${ANTHROPIC} as quoted by deploybase.ai/articles/claude-api-pricing (2026-03) and docs.rs/synaps ("Haiku (other)")`,
    note: 'cache prices from the documented multipliers (hit 0.1×, 5m write 1.25× input)',
  },
  'openai/gpt-5': {
    checked: CHECKED,
    status: 'secondary',
    source: `${OPENAI} as quoted by deploybase.ai/articles/openai-pricing (2026-03) and aipromptshub.co (cached input = 10 % of input on GPT-5)`,
  },
  'openai/gpt-5-mini': {
    checked: CHECKED,
    status: 'secondary',
    source: `${OPENAI} as quoted by nicolalazzari.ai (GPT-5 Mini $0.25 / cached $0.025 / $2.00) and deploybase.ai`,
  },
  'openai/gpt-5-nano': {
    checked: CHECKED,
    status: 'partial',
    source: `${OPENAI} as quoted by deploybase.ai/articles/openai-pricing (2026-03): $0.05 / $0.40`,
    note: 'cached input not found published: 10 % of input, the GPT-5 family rule',
  },
  'openai/gpt-5-codex': {
    checked: CHECKED,
    status: 'partial',
    source: `${OPENAI} as quoted by deploybase.ai/articles/openai-pricing (2026-03): $1.25 / $10`,
    note: 'cached input not found published: 10 % of input, the GPT-5 family rule',
  },
  'openai/gpt-4.1': {
    checked: CHECKED,
    status: 'secondary',
    source: `${OPENAI} as quoted by deploybase.ai (2026-03) and docs.rs/adk-model (GPT-4.1 family: 75 % off cached input)`,
  },
  'openai/gpt-4o': {
    checked: CHECKED,
    status: 'secondary',
    source: `${OPENAI} as quoted by chatgptpricing-akr.pages.dev/api-pricing and docs.rs/openai-models`,
  },
  'gemini/gemini-2.5-pro': {
    checked: CHECKED,
    status: 'secondary',
    source: `${GEMINI} as quoted by discuss.ai.google.dev/t/107349 (cache $0.125 ≤ 200k) and deploybase.ai (2026-03)`,
    note: 'prompts over 200k tokens cost $2.50 in / $15 out: not modelled',
  },
  'gemini/gemini-2.5-flash': {
    checked: CHECKED,
    status: 'partial',
    source: `${GEMINI} as quoted by morphllm.com/gemini-api-pricing and deploybase.ai (2026-03): $0.30 / $2.50`,
    note: 'cache price not found published: 10 % of input (deploybase: "90% discount")',
  },
  'gemini/gemini-2.5-flash-lite': {
    checked: CHECKED,
    status: 'partial',
    source: `${GEMINI} as quoted by morphllm.com/gemini-api-pricing: $0.10 / $0.40`,
    note: 'cache price not found published: 10 % of input',
  },
  'kimi/kimi-k2-0905-preview': {
    checked: CHECKED,
    status: 'official',
    source: `${MOONSHOT} (archived copy of 2026-03-26): cache hit $0.15, miss $0.60, output $2.50`,
  },
  'kimi/kimi-k2-turbo-preview': {
    checked: CHECKED,
    status: 'partial',
    source: 'vercel.com/ai-gateway/models/kimi-k2-turbo (pass-through price): $1.15 in / $8 out',
    note: "cache-hit price not found published; kept at the K2 family's $0.15",
  },
};
