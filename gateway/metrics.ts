/**
 * Prometheus metrics of one gateway instance (own registries, so several gateways can live in one
 * process), in two parts:
 * - `registry` (public on `/metrics`): process metrics, request latency histogram, errors by code;
 * - `platformRegistry` (only with the operator's metrics token): agent runs / turns / tokens /
 *   provider cost / customer price observed on the journal after start — platform-wide business
 *   figures no tenant may read. Replicas count what they saw, not history. Money counters are
 *   integer micro-dollars (µ$) by provider and model; and the escalations it routed.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface GatewayMetrics {
  /** process and HTTP metrics: public */
  readonly registry: Registry;
  /** platform-wide usage and money: operators only */
  readonly platformRegistry: Registry;
  readonly requestDuration: Histogram<'method' | 'route' | 'status'>;
  readonly errorsTotal: Counter<'route' | 'code'>;
  readonly agentRuns: Counter<'status' | 'provider' | 'agent'>;
  readonly agentTurns: Counter;
  readonly tokens: Counter<'provider' | 'kind'>;
  readonly costMicros: Counter<'provider' | 'model'>;
  readonly priceMicros: Counter<'provider' | 'model'>;
  /** escalations this gateway handled (escalationRouter.ts): the target asked for, where it went */
  readonly escalations: Counter<'to' | 'routed_to' | 'outcome'>;
}

export function createMetrics(): GatewayMetrics {
  const registry = new Registry();
  const platformRegistry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'moe_gateway_' });
  return {
    registry,
    platformRegistry,
    requestDuration: new Histogram({
      name: 'moe_http_request_duration_seconds',
      help: 'HTTP request latency by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers: [registry],
    }),
    errorsTotal: new Counter({
      name: 'moe_http_errors_total',
      help: 'HTTP 4xx/5xx answers by route and error code',
      labelNames: ['route', 'code'],
      registers: [registry],
    }),
    agentRuns: new Counter({
      name: 'moe_agent_runs_total',
      help: 'agent runs that finished, by outcome, provider and agent profile',
      labelNames: ['status', 'provider', 'agent'],
      registers: [platformRegistry],
    }),
    agentTurns: new Counter({
      name: 'moe_agent_turns_total',
      help: 'agent actor turns journaled',
      registers: [platformRegistry],
    }),
    tokens: new Counter({
      name: 'moe_agent_tokens_total',
      help: 'tokens used by provider calls, by provider and kind (input/output/cache_read/cache_write)',
      labelNames: ['provider', 'kind'],
      registers: [platformRegistry],
    }),
    costMicros: new Counter({
      name: 'moe_provider_cost_micros_total',
      help: 'what provider calls cost us, micro-dollars, by provider and model',
      labelNames: ['provider', 'model'],
      registers: [platformRegistry],
    }),
    priceMicros: new Counter({
      name: 'moe_customer_price_micros_total',
      help: 'what customers are charged for provider calls (cost × markup), micro-dollars, by provider and model',
      labelNames: ['provider', 'model'],
      registers: [platformRegistry],
    }),
    escalations: new Counter({
      name: 'moe_escalations_total',
      help: 'stopped actors whose escalation this gateway routed, by target asked for (org-admin, coordinator), where it went, and outcome (routed, failed: retried once its claim is stale)',
      labelNames: ['to', 'routed_to', 'outcome'],
      registers: [platformRegistry],
    }),
  };
}
