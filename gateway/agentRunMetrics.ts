/**
 * Turns live agent/coordinator records into metrics: runs by outcome, agent and provider, turns,
 * tokens and money per provider call. Fed by the usage projection for records journaled after the
 * gateway started (replicas count what they saw, not history; Prometheus sums rates across
 * replicas). The `agent` label is the task's agent profile (a project agent's name, `default`
 * without one): names are chosen by tenants, so only the first {@link AGENT_LABELS_MAX} distinct
 * ones get a series of their own and later ones are counted as `other`, keeping the series bounded.
 */
import { ofType, validEvents, type JournalRecord } from '../schemas/index.js';
import type { GatewayMetrics } from './metrics.js';
import type { LiveRun, UsageCall } from './usageProjection.js';

/** distinct `agent` label values before the rest are counted as `other` */
export const AGENT_LABELS_MAX = 200;

/**
 * @example
 *   const observe = agentRunObserver(metrics);
 *   const usage = new UsageProjection(observe);
 */
export function agentRunObserver(
  metrics: GatewayMetrics,
  maxAgents = AGENT_LABELS_MAX,
): (rec: JournalRecord, calls: UsageCall[], run: LiveRun) => void {
  const agents = new Set<string>();
  const agentLabel = (agent: string): string => {
    if (agents.has(agent)) return agent;
    if (agents.size >= maxAgents) return 'other';
    agents.add(agent);
    return agent;
  };

  return (rec, calls, run) => {
    metrics.agentTurns.inc();
    for (const e of validEvents(rec.events).filter(ofType('task.completed', 'task.failed'))) {
      const agent = agentLabel(run.agent);
      // a failed run names no provider: the one its last call went to, `none` when it made no call
      if (e.type === 'task.completed')
        metrics.agentRuns.inc({ status: 'completed', provider: e.provider, agent });
      else metrics.agentRuns.inc({ status: 'failed', provider: run.provider, agent });
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
  };
}
