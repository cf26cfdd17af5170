/**
 * Cost suggestions (`GET /api/workspaces/:id/usage/suggestions`), computed from what the journal
 * records per provider call and per run, each with an estimated saving in integer µ$ over the
 * range asked (pure; the route feeds it the workspace's bucket rows, see docs/billing.md):
 *
 * - `prompt-cache`: an agent/provider/model whose calls re-send their task's conversation prefix
 *   (tokens of the previous call, see usageBuckets.ts `repeatedPrefixTokens`) but read few of
 *   them from the provider's prompt cache. Saving: the repeated tokens not read from cache ×
 *   (input − cache-read list price). An upper bound: the cache-write premium is not subtracted.
 * - `cheaper-model`: an agent whose runs on a cheaper model (typically its fallback) succeeded at
 *   least as often as on a dearer one. Saving: the dearer model's calls' cost − the same tokens at
 *   the cheaper model's list prices.
 * - `failed-runs`: a provider on which runs failed after spending money (the calls of a run that
 *   ends in `task.failed` are paid and wasted). Saving: that spend.
 * - `retries`: a provider whose calls needed retries — 429s and other failed attempts inside one
 *   `llm.call`, journaled with its result as `attempts` — that cost money (tokens the provider
 *   billed for attempts that failed, e.g. a stream cut after its input was counted) or time
 *   (backoff waited before retrying). Saving: that money, µ$, and that wait, ms
 *   (`estimatedSavingMs`): what getting those attempts right the first time would save.
 */
import { DEFAULT_PRICE_TABLE, type ModelPrice, type PriceTable } from '../schemas/index.js';
import { addBucketRow, emptyBucketRow, type BucketRow } from './usageBuckets.js';

export type SuggestionKind = 'prompt-cache' | 'cheaper-model' | 'failed-runs' | 'retries';

export interface CostSuggestion {
  kind: SuggestionKind;
  /** one sentence a user can act on */
  title: string;
  /** estimated saving over the range, µ$ */
  estimatedSavingMicros: number;
  /** estimated time saved over the range, ms (retries: the backoff waited) */
  estimatedSavingMs?: number;
  agent?: string;
  provider: string;
  model?: string;
  /** the figures the suggestion was computed from */
  evidence: Record<string, number | string>;
}

export interface SuggestionOptions {
  prices?: PriceTable;
  /** prompt-cache: fewer repeated prefix tokens than this are not worth a suggestion */
  minRepeatedTokens?: number;
  /** prompt-cache: a cache hit rate below this is "low" (0..1) */
  maxHitRate?: number;
  /** cheaper-model / failed-runs: fewer runs than this are no evidence */
  minRuns?: number;
  /** failed-runs: a failure rate at least this (0..1) */
  minFailureRate?: number;
}

const DEFAULTS = { minRepeatedTokens: 10_000, maxHitRate: 0.5, minRuns: 3, minFailureRate: 0.1 };

/** pico-dollars per token of a USD/MTok list price (exact to 6 decimals, as prices.ts) */
const picos = (usdPerMTok: number) => BigInt(Math.round(usdPerMTok * 1e6));
/** whole µ$ of a pico-dollar amount, rounded down (a saving is never overstated by rounding) */
const micros = (p: bigint) => Number(p / 1_000_000n);

function tokensCostPicos(r: BucketRow, p: ModelPrice): bigint {
  return (
    BigInt(r.inputTokens) * picos(p.input) +
    BigInt(r.outputTokens) * picos(p.output) +
    BigInt(r.cacheReadTokens) * picos(p.cacheRead) +
    BigInt(r.cacheWriteTokens) * picos(p.cacheWrite)
  );
}

function sumBy(rows: readonly BucketRow[], key: (r: BucketRow) => string): Map<string, BucketRow> {
  const out = new Map<string, BucketRow>();
  for (const r of rows) {
    const k = key(r);
    let into = out.get(k);
    if (!into) out.set(k, (into = emptyBucketRow({ ...r })));
    addBucketRow(into, r);
  }
  return out;
}

const pct = (x: number) => Math.round(x * 1000) / 10;

export function promptCacheSuggestions(
  rows: readonly BucketRow[],
  o: SuggestionOptions = {},
): CostSuggestion[] {
  const table = o.prices ?? DEFAULT_PRICE_TABLE;
  const minTokens = o.minRepeatedTokens ?? DEFAULTS.minRepeatedTokens;
  const maxHit = o.maxHitRate ?? DEFAULTS.maxHitRate;
  const out: CostSuggestion[] = [];
  for (const r of sumBy(rows, (r) => `${r.agent}|${r.provider}|${r.model}`).values()) {
    const price = table.models[`${r.provider}/${r.model}`];
    if (!price || r.repeatedPrefixTokens < minTokens || price.cacheRead >= price.input) continue;
    const hitRate = Math.min(1, r.cacheReadTokens / r.repeatedPrefixTokens);
    if (hitRate >= maxHit) continue;
    const uncached = Math.max(0, r.repeatedPrefixTokens - r.cacheReadTokens);
    const saving = micros(BigInt(uncached) * (picos(price.input) - picos(price.cacheRead)));
    if (saving <= 0) continue;
    out.push({
      kind: 'prompt-cache',
      title: `Enable prompt caching for agent ${r.agent} on ${r.provider}/${r.model}: ${pct(hitRate)} % of its repeated prompt prefix was read from cache`,
      estimatedSavingMicros: saving,
      agent: r.agent,
      provider: r.provider,
      model: r.model,
      evidence: {
        calls: r.calls,
        repeatedPrefixTokens: r.repeatedPrefixTokens,
        cacheReadTokens: r.cacheReadTokens,
        hitRatePercent: pct(hitRate),
        priceTable: table.version,
      },
    });
  }
  return out;
}

export function cheaperModelSuggestions(
  rows: readonly BucketRow[],
  o: SuggestionOptions = {},
): CostSuggestion[] {
  const table = o.prices ?? DEFAULT_PRICE_TABLE;
  const minRuns = o.minRuns ?? DEFAULTS.minRuns;
  const byAgent = new Map<string, BucketRow[]>();
  for (const r of sumBy(rows, (r) => `${r.agent}|${r.provider}|${r.model}`).values()) {
    if (r.runs < minRuns || !table.models[`${r.provider}/${r.model}`]) continue;
    byAgent.set(r.agent, [...(byAgent.get(r.agent) ?? []), r]);
  }
  const out: CostSuggestion[] = [];
  const success = (r: BucketRow) => (r.runs - r.failed) / r.runs;
  for (const [agent, models] of byAgent) {
    for (const dear of models) {
      const dearPrice = table.models[`${dear.provider}/${dear.model}`];
      if (!dearPrice) continue;
      const dearCost = tokensCostPicos(dear, dearPrice);
      let best: { cheap: BucketRow; saving: number } | null = null;
      for (const cheap of models) {
        if (cheap === dear || success(cheap) < success(dear)) continue;
        const cheapPrice = table.models[`${cheap.provider}/${cheap.model}`];
        if (!cheapPrice) continue;
        const atCheap = tokensCostPicos(dear, cheapPrice);
        const saving = micros(dearCost - atCheap);
        if (saving > 0 && (!best || saving > best.saving)) best = { cheap, saving };
      }
      if (!best) continue;
      const { cheap, saving } = best;
      out.push({
        kind: 'cheaper-model',
        title: `Agent ${agent}: ${cheap.provider}/${cheap.model} succeeded in ${pct(success(cheap))} % of its runs vs ${pct(success(dear))} % on ${dear.provider}/${dear.model}; make it the primary model`,
        estimatedSavingMicros: saving,
        agent,
        provider: dear.provider,
        model: dear.model,
        evidence: {
          runs: dear.runs,
          failed: dear.failed,
          cheaperModel: `${cheap.provider}/${cheap.model}`,
          cheaperRuns: cheap.runs,
          cheaperFailed: cheap.failed,
          calls: dear.calls,
          priceTable: table.version,
        },
      });
    }
  }
  return out;
}

export function failedRunSuggestions(
  rows: readonly BucketRow[],
  o: SuggestionOptions = {},
): CostSuggestion[] {
  const minRuns = o.minRuns ?? DEFAULTS.minRuns;
  const minRate = o.minFailureRate ?? DEFAULTS.minFailureRate;
  const out: CostSuggestion[] = [];
  for (const r of sumBy(rows, (r) => r.provider).values()) {
    if (r.runs < minRuns || r.failedRunCostMicros <= 0 || r.failed / r.runs < minRate) continue;
    out.push({
      kind: 'failed-runs',
      title: `Runs on ${r.provider} failed ${r.failed} of ${r.runs} times after their calls were paid; check its errors and rate limits (429s, retries) or move these agents to another provider`,
      estimatedSavingMicros: r.failedRunCostMicros,
      provider: r.provider,
      evidence: { runs: r.runs, failed: r.failed, failedRunCostMicros: r.failedRunCostMicros },
    });
  }
  return out;
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;
const usd = (m: number) => `$${(m / 1e6).toFixed(6)}`;

export function retrySuggestions(rows: readonly BucketRow[]): CostSuggestion[] {
  const out: CostSuggestion[] = [];
  for (const r of sumBy(rows, (r) => r.provider).values()) {
    const failed = r.failedAttempts ?? 0;
    const cost = r.failedAttemptCostMicros ?? 0;
    const wait = r.retryWaitMs ?? 0;
    if (failed === 0 || (cost <= 0 && wait <= 0)) continue;
    const rateLimited = r.rateLimitedAttempts ?? 0;
    out.push({
      kind: 'retries',
      title: `${r.provider}: ${failed} failed attempts (${rateLimited} answered 429) in ${r.retriedCalls} calls cost ${usd(cost)} and ${seconds(wait)} of backoff; ${rateLimited > failed / 2 ? 'raise its rate limit (tier) or lower concurrency on it' : 'check its errors'}, or put another provider first in the profile`,
      estimatedSavingMicros: cost,
      estimatedSavingMs: wait,
      provider: r.provider,
      evidence: {
        calls: r.calls,
        retriedCalls: r.retriedCalls,
        failedAttempts: failed,
        rateLimitedAttempts: rateLimited,
        retryWaitMs: wait,
        failedAttemptCostMicros: cost,
      },
    });
  }
  return out;
}

/** Every suggestion for these rows, the largest saving first. */
export function costSuggestions(rows: readonly BucketRow[], o: SuggestionOptions = {}): CostSuggestion[] {
  return [
    ...promptCacheSuggestions(rows, o),
    ...cheaperModelSuggestions(rows, o),
    ...failedRunSuggestions(rows, o),
    ...retrySuggestions(rows),
  ].sort((a, b) => b.estimatedSavingMicros - a.estimatedSavingMicros);
}
