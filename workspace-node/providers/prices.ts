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
import type { ModelPrice, PriceTable, Usage } from '../../schemas/index.js';
import { errors } from '../errors.js';

/**
 * The tables themselves (versions, entries, where each was checked) are data in
 * schemas/priceTable.ts, shared with the gateway's cost suggestions.
 */
export {
  DEFAULT_PRICE_TABLE,
  PRICE_SOURCES,
  PRICE_TABLE_V1,
  PRICE_TABLE_V2,
  PRICE_TABLES,
  type ModelPrice,
  type PriceSource,
  type PriceTable,
} from '../../schemas/index.js';

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
