/**
 * What the usage projection sums per row, bucket or answer: calls, runs, tokens, and money in
 * integer micro-dollars (µ$, 10⁻⁶ USD), never floats. The margin is price − cost.
 */

export interface UsageTotals {
  calls: number;
  runs: number;
  failed: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** provider cost, µ$; null when no call counted here carried a cost */
  costMicros: number | null;
  /** customer price (cost × markup), µ$; null when no call counted here carried a price */
  priceMicros: number | null;
  /** calls whose records carry no cost/price (journaled before pricing existed) */
  unpricedCalls: number;
}

export const addNullable = (a: number | null, b: number | null) => (b === null ? a : (a ?? 0) + b);

export function emptyTotals(): UsageTotals {
  return {
    calls: 0,
    runs: 0,
    failed: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    costMicros: null,
    priceMicros: null,
    unpricedCalls: 0,
  };
}

export function addTotals(into: UsageTotals, t: UsageTotals): UsageTotals {
  into.calls += t.calls;
  into.runs += t.runs;
  into.failed += t.failed;
  into.inputTokens += t.inputTokens;
  into.outputTokens += t.outputTokens;
  into.cacheReadTokens += t.cacheReadTokens;
  into.cacheWriteTokens += t.cacheWriteTokens;
  into.costMicros = addNullable(into.costMicros, t.costMicros);
  into.priceMicros = addNullable(into.priceMicros, t.priceMicros);
  into.unpricedCalls += t.unpricedCalls;
  return into;
}

/** price − cost, µ$ (null when either is unknown) */
export function marginOf(t: UsageTotals): number | null {
  return t.costMicros === null || t.priceMicros === null ? null : t.priceMicros - t.costMicros;
}
