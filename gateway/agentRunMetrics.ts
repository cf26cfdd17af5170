/**
 * Turns live agent/coordinator records into metrics: runs by outcome and provider, turns, tokens
 * and money per provider call. Fed by the usage projection for records journaled after the gateway
 * started (replicas count what they saw, not history; Prometheus sums rates across replicas).
 */
import { ofType, validEvents, type JournalRecord } from '../schemas/index.js';
import type { GatewayMetrics } from './metrics.js';
import type { UsageCall } from './usageProjection.js';

/** @example const usage = new UsageProjection((rec, calls) => observeAgentRecord(metrics, rec, calls)); */
export function observeAgentRecord(metrics: GatewayMetrics, rec: JournalRecord, calls: UsageCall[]): void {
  metrics.agentTurns.inc();
  for (const e of validEvents(rec.events).filter(ofType('task.completed', 'task.failed'))) {
    if (e.type === 'task.completed') metrics.agentRuns.inc({ status: 'completed', provider: e.provider });
    else metrics.agentRuns.inc({ status: 'failed', provider: 'unknown' });
  }
  for (const c of calls) {
    const { provider, model } = c;
    metrics.tokens.inc({ provider, kind: 'input' }, c.usage.inputTokens ?? 0);
    metrics.tokens.inc({ provider, kind: 'output' }, c.usage.outputTokens ?? 0);
    metrics.tokens.inc({ provider, kind: 'cache_read' }, c.usage.cacheReadTokens ?? 0);
    metrics.tokens.inc({ provider, kind: 'cache_write' }, c.usage.cacheWriteTokens ?? 0);
    metrics.costMicros.inc({ provider, model }, c.costMicros ?? 0);
    metrics.priceMicros.inc({ provider, model }, c.priceMicros ?? 0);
  }
}
