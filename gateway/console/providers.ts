/**
 * The console's Providers view: each provider/model as the live nodes report it in their
 * heartbeats (schemas/nodeHeartbeat.ts `ProviderLiveReport`, over each node's last minute),
 * summed over the nodes: the worst breaker state (open > half-open > closed) and the nodes whose
 * breaker is not closed, attempts, error and 429 rates, skips, fallbacks taken, and the slowest
 * node's attempt latency p50/p99 (percentiles cannot be summed; the worst is what an operator
 * acts on). Platform data: operators only.
 */
import type { ProviderLiveReport } from '../../schemas/index.js';
import type { ClusterNode } from './clusterSource.js';

export interface ProviderRow {
  readonly key: string;
  readonly provider: string;
  readonly model: string;
  readonly breaker: ProviderLiveReport['breaker'];
  /** nodes whose breaker for it is open or half-open */
  readonly trippedOn: readonly string[];
  readonly nodes: number;
  readonly attempts: number;
  readonly errors: number;
  readonly rateLimited: number;
  readonly skipped: number;
  readonly fallbacks: number;
  /** errors / attempts (null: no attempt) */
  readonly errorRate: number | null;
  /** 429s / attempts (null: no attempt) */
  readonly rateLimitedRate: number | null;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

const SEVERITY = { closed: 0, 'half-open': 1, open: 2 } as const;
const worst = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

export function providersOf(nodes: readonly ClusterNode[]): ProviderRow[] {
  const rows = new Map<string, ProviderRow>();
  for (const n of nodes) {
    if (n.state === 'dead' || !n.stats) continue;
    for (const p of n.stats.providers) {
      const key = `${p.provider}/${p.model}`;
      const r = rows.get(key);
      const attempts = (r?.attempts ?? 0) + p.attempts;
      const errors = (r?.errors ?? 0) + p.errors;
      const rateLimited = (r?.rateLimited ?? 0) + p.rateLimited;
      rows.set(key, {
        key,
        provider: p.provider,
        model: p.model,
        breaker: r && SEVERITY[r.breaker] >= SEVERITY[p.breaker] ? r.breaker : p.breaker,
        trippedOn: [...(r?.trippedOn ?? []), ...(p.breaker === 'closed' ? [] : [n.id])],
        nodes: (r?.nodes ?? 0) + 1,
        attempts,
        errors,
        rateLimited,
        skipped: (r?.skipped ?? 0) + p.skipped,
        fallbacks: (r?.fallbacks ?? 0) + p.fallbacks,
        errorRate: attempts ? errors / attempts : null,
        rateLimitedRate: attempts ? rateLimited / attempts : null,
        p50Ms: worst(r?.p50Ms ?? null, p.p50Ms),
        p99Ms: worst(r?.p99Ms ?? null, p.p99Ms),
      });
    }
  }
  return [...rows.values()].sort(
    (a, b) => SEVERITY[b.breaker] - SEVERITY[a.breaker] || a.key.localeCompare(b.key),
  );
}
