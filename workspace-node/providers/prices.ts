/**
 * What a provider call costs us, and what the customer pays for it (seed 002: "cost + markup").
 *
 * Prices are USD per million tokens, kept in a versioned table keyed `provider/model`; the model is
 * the one a profile asked for (dated snapshots a provider reports back are priced by their alias
 * only if the table lists them). An unknown model is an error, never a silent zero.
 *
 * Money is integer micro-dollars (µ$) everywhere outside this file. The arithmetic is exact: a
 * price of X USD/MTok is exactly X·10⁶ pico-dollars per token, so a call's cost is an integer
 * number of pico-dollars (computed in BigInt), rounded UP once to whole micro-dollars — we never
 * under-bill, and the rounding error is below 1 µ$ per call with no float drift across calls.
 */
import type { Usage } from '../../schemas/index.js';
import { errors } from '../errors.js';

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
 * List prices as published by the providers for standard (non-batch) tiers. Values to verify
 * against the providers' pricing pages on each bump; cacheWrite for OpenAI-compatible providers is
 * 0 because they do not bill cache writes separately.
 */
export const PRICE_TABLE_V1: PriceTable = {
  version: '2025-10-01',
  effectiveFrom: '2025-10-01',
  models: {
    'scripted/scripted-v1': free,
    // Current generation per the installed SDK (claude-sonnet-4-5 is deprecated there). UNVERIFIED:
    // assumed to keep the Sonnet tier's list price; confirm before billing customers.
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

export const DEFAULT_PRICE_TABLE = PRICE_TABLE_V1;

/** The price of `provider/model`, or PRICE_UNKNOWN. */
export function lookupPrice(table: PriceTable, provider: string, model: string): ModelPrice {
  const price = table.models[`${provider}/${model}`];
  if (!price) {
    throw errors.PRICE_UNKNOWN(`${provider}/${model} (price table ${table.version})`, {
      details: { provider, model, priceTable: table.version },
    });
  }
  return price;
}

/** pico-dollars per token, exact for prices with up to 6 decimals */
function picosPerToken(usdPerMTok: number): bigint {
  if (!(usdPerMTok >= 0) || !Number.isFinite(usdPerMTok)) throw errors.CONFIG(`bad price ${usdPerMTok}`);
  return BigInt(Math.round(usdPerMTok * 1e6));
}

/** The exact cost of `usage` in pico-dollars (10⁻¹² USD). */
export function costPicos(usage: Usage, price: ModelPrice): bigint {
  return (
    BigInt(usage.inputTokens) * picosPerToken(price.input) +
    BigInt(usage.outputTokens) * picosPerToken(price.output) +
    BigInt(usage.cacheReadTokens) * picosPerToken(price.cacheRead) +
    BigInt(usage.cacheWriteTokens) * picosPerToken(price.cacheWrite)
  );
}

const PICOS_PER_MICRO = 1_000_000n;

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

/**
 * Our cost of a call in micro-dollars (rounded up from the exact pico-dollar amount).
 *
 * @example costOf({ inputTokens: 1000, outputTokens: 500, cacheReadTokens: 0, cacheWriteTokens: 0 }, { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 }) // 10_500 µ$ = $0.0105
 */
export function costOf(usage: Usage, price: ModelPrice): number {
  return Number(ceilDiv(costPicos(usage, price), PICOS_PER_MICRO));
}

/**
 * The customer price of a cost in micro-dollars: `cost × markup`, rounded up. The markup is
 * exact to 4 decimals (5 → 5×, 1.25 → +25 %).
 *
 * @example priceOf(10_500, 5) // 52_500 µ$
 */
export function priceOf(costMicros: number, markup: number): number {
  if (!Number.isSafeInteger(costMicros) || costMicros < 0) throw errors.CONFIG(`bad cost ${costMicros}`);
  if (!(markup >= 0) || !Number.isFinite(markup)) throw errors.CONFIG(`bad markup ${markup}`);
  const basisPoints = BigInt(Math.round(markup * 10_000));
  return Number(ceilDiv(BigInt(costMicros) * basisPoints, 10_000n));
}
