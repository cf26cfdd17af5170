/**
 * The workspace-node's Prometheus metrics (prom-client, one registry per node so several nodes can
 * share a process), served on `/metrics` by probeServer.ts. Two kinds of series:
 * - pushed from the hot path through two small observers — the kernel's ({@link KernelObserver}:
 *   one call per journal entry, dead letter, effect, fsync) and the provider router's
 *   ({@link ProviderObserver}: one per attempt and per reply). Label children are cached, so an
 *   observation is an array lookup and an increment;
 * - read at scrape time (gauges with `collect`): workspaces hosted, resident actors, effects in
 *   flight, each workspace's command backlog (one consumer-info request per hosted workspace per
 *   scrape) and projection lag, circuit-breaker states, NATS link and readiness.
 *
 * Names are stable: the console and dashboards read them. docs/operations.md ("Node metrics")
 * lists each with its type and labels, and test/unit/metrics.docs.test.ts fails when the two differ.
 * Money is integer micro-dollars (µ$), as in the gateway's `moe_provider_cost_micros_total`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { KernelObserver } from '../actors/kernel/index.js';
import type { Usage } from '../schemas/index.js';
import type { LiveStats } from './liveStats.js';
import type { AttemptOutcome, BreakerSnapshot, ProviderObserver } from './providers/index.js';

/** Prefix of the prom-client default process metrics of a node (`moe_node_process_cpu_seconds_total`, …). */
export const NODE_DEFAULT_METRICS_PREFIX = 'moe_node_';

/** One hosted workspace, as the scrape-time gauges read it. */
export interface HostedWorkspaceView {
  readonly org: string;
  readonly ws: string;
  /** effects running now */
  readonly effectsInFlight: number;
  /** activated actors */
  readonly resident: number;
  /** committed entries not yet projected */
  readonly projectionBacklog: number;
  /** pending + unacked commands of its consumer (null: unknown, e.g. NATS down) */
  backlog(): Promise<number | null>;
}

/** What the scrape-time gauges read from the node. */
export interface NodeMetricSources {
  workspaces(): Iterable<HostedWorkspaceView>;
  breakers(): readonly BreakerSnapshot[];
  natsUp(): boolean;
  ready(): boolean;
}

export interface NodeMetrics {
  readonly registry: Registry;
  /** give to every workspace kernel of the node */
  readonly kernel: KernelObserver;
  /** give to the node's provider router */
  readonly providers: ProviderObserver;
}

/** Circuit-breaker states as numbers: closed 0, half-open 1, open 2. */
export const BREAKER_STATE_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

const TURN_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const ENTRY_BYTES = [256, 512, 1024, 2048, 4096, 16_384, 65_536, 262_144, 1_048_576];
const FSYNC_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const PROVIDER_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** Caches the label child of a one-label metric (labels() hashes its arguments on every call). */
function byLabel<C>(make: (value: string) => C): (value: string) => C {
  const cache = new Map<string, C>();
  return (value) => {
    let c = cache.get(value);
    if (!c) cache.set(value, (c = make(value)));
    return c;
  };
}

/** `live`: also fed by both observers, for the heartbeat's live figures (liveStats.ts). */
export function createNodeMetrics(sources: NodeMetricSources, live?: LiveStats): NodeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: NODE_DEFAULT_METRICS_PREFIX });
  const registers = [registry];

  // ------------------------------------------------------------ pushed: kernel
  const turns = new Counter({
    name: 'moe_node_turns_total',
    help: 'actor turns journaled by this node, by actor kind',
    labelNames: ['kind'],
    registers,
  });
  const entries = new Counter({
    name: 'moe_node_journal_entries_total',
    help: 'journal entries appended by this node (turns / entries = turns per append)',
    registers,
  });
  const turnSeconds = new Histogram({
    name: 'moe_node_turn_duration_seconds',
    help: 'per command: from its delivery to this node until its turn is durable (appended, committed, fsynced), by actor kind',
    labelNames: ['kind'],
    buckets: TURN_SECONDS,
    registers,
  });
  const entryBytes = new Histogram({
    name: 'moe_node_journal_entry_bytes',
    help: 'size of each journal entry appended to MOE_EVT',
    buckets: ENTRY_BYTES,
    registers,
  });
  const deadLetters = new Counter({
    name: 'moe_node_dead_letters_total',
    help: 'commands dead-lettered by this node, by error code',
    labelNames: ['code'],
    registers,
  });
  const effectsStarted = new Counter({
    name: 'moe_node_effects_started_total',
    help: 'effects started (LLM calls, tools, sends, backups), by effect kind',
    labelNames: ['kind'],
    registers,
  });
  const effectsFailed = new Counter({
    name: 'moe_node_effects_failed_total',
    help: 'effects that failed after their retries, by effect kind',
    labelNames: ['kind'],
    registers,
  });
  const fsyncSeconds = new Histogram({
    name: 'moe_node_fsync_duration_seconds',
    help: 'each group fdatasync of the session logs',
    buckets: FSYNC_SECONDS,
    registers,
  });

  // ------------------------------------------------------------ pushed: providers
  const providerCalls = new Counter({
    name: 'moe_node_provider_calls_total',
    help: 'provider attempts by provider, model and outcome (ok, error, skipped: circuit open or rate limited)',
    labelNames: ['provider', 'model', 'outcome'],
    registers,
  });
  const providerSeconds = new Histogram({
    name: 'moe_node_provider_call_duration_seconds',
    help: 'how long each provider attempt ran (ok or error), by provider and model',
    labelNames: ['provider', 'model'],
    buckets: PROVIDER_SECONDS,
    registers,
  });
  const providerTokens = new Counter({
    name: 'moe_node_provider_tokens_total',
    help: 'tokens of served replies by provider, model and kind (input, output, cache_read, cache_write)',
    labelNames: ['provider', 'model', 'kind'],
    registers,
  });
  const providerFallbacks = new Counter({
    name: 'moe_node_provider_fallbacks_total',
    help: 'replies served by a fallback (a target after the first of its profile chain), by provider and model',
    labelNames: ['provider', 'model'],
    registers,
  });
  const providerCost = new Counter({
    name: 'moe_node_provider_cost_micros_total',
    help: 'what served replies cost us, micro-dollars, by provider and model',
    labelNames: ['provider', 'model'],
    registers,
  });

  // ------------------------------------------------------------ read at scrape time
  new Gauge({
    name: 'moe_node_workspaces_hosted',
    help: 'workspaces hosted by this node',
    registers,
    collect() {
      let n = 0;
      for (const _ of sources.workspaces()) n++;
      this.set(n);
    },
  });
  new Gauge({
    name: 'moe_node_resident_actors',
    help: 'actors activated in memory on this node',
    registers,
    collect() {
      let n = 0;
      for (const w of sources.workspaces()) n += w.resident;
      this.set(n);
    },
  });
  new Gauge({
    name: 'moe_node_effects_in_flight',
    help: 'effects running on this node now (timers aside)',
    registers,
    collect() {
      let n = 0;
      for (const w of sources.workspaces()) n += w.effectsInFlight;
      this.set(n);
    },
  });
  new Gauge({
    name: 'moe_node_workspace_backlog',
    help: 'commands of a hosted workspace not yet acked (pending + delivered unacked), by org and ws',
    labelNames: ['org', 'ws'],
    registers,
    async collect() {
      this.reset();
      const views = [...sources.workspaces()];
      const counts = await Promise.all(views.map((w) => w.backlog().catch(() => null)));
      views.forEach((w, i) => {
        const n = counts[i];
        if (n !== null && n !== undefined) this.set({ org: w.org, ws: w.ws }, n);
      });
    },
  });
  new Gauge({
    name: 'moe_node_projection_lag_entries',
    help: 'committed journal entries of a hosted workspace not yet in its projection databases, by org and ws',
    labelNames: ['org', 'ws'],
    registers,
    collect() {
      this.reset();
      for (const w of sources.workspaces()) this.set({ org: w.org, ws: w.ws }, w.projectionBacklog);
    },
  });
  new Gauge({
    name: 'moe_node_provider_breaker_state',
    help: 'circuit breaker of each provider/model used so far: 0 closed, 1 half-open, 2 open',
    labelNames: ['provider', 'model'],
    registers,
    collect() {
      this.reset();
      for (const b of sources.breakers()) {
        const slash = b.key.indexOf('/');
        const labels = { provider: b.key.slice(0, slash), model: b.key.slice(slash + 1) };
        this.set(labels, BREAKER_STATE_VALUE[b.state]);
      }
    },
  });
  new Gauge({
    name: 'moe_node_nats_connected',
    help: '1 while the NATS connection is up, else 0',
    registers,
    collect() {
      this.set(sources.natsUp() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'moe_node_ready',
    help: '1 when /readyz answers 200 (NATS up, discovery caught up, every workspace taken is consuming)',
    registers,
    collect() {
      this.set(sources.ready() ? 1 : 0);
    },
  });

  const turnsOf = byLabel((kind) => turns.labels(kind));
  const turnSecondsOf = byLabel((kind) => turnSeconds.labels(kind));
  const deadLettersOf = byLabel((code) => deadLetters.labels(code));
  const startedOf = byLabel((kind) => effectsStarted.labels(kind));
  const failedOf = byLabel((kind) => effectsFailed.labels(kind));
  const callsOf = byLabel((key) => providerCalls.labels(...(key.split('\n') as [string, string, string])));
  const secondsOf = byLabel((key) => providerSeconds.labels(...(key.split('\n') as [string, string])));
  const tokensOf = byLabel((key) => providerTokens.labels(...(key.split('\n') as [string, string, string])));
  const fallbacksOf = byLabel((key) => providerFallbacks.labels(...(key.split('\n') as [string, string])));
  const costOf = byLabel((key) => providerCost.labels(...(key.split('\n') as [string, string])));

  const kernel: KernelObserver = {
    entry(kind, n, bytes, latenciesMs) {
      live?.entry(n, latenciesMs);
      turnsOf(kind).inc(n);
      entries.inc();
      entryBytes.observe(bytes);
      const h = turnSecondsOf(kind);
      for (const ms of latenciesMs) h.observe(ms / 1000);
    },
    deadLetter: (code) => deadLettersOf(code).inc(),
    effectStarted: (kind) => startedOf(kind).inc(),
    effectFailed: (kind) => failedOf(kind).inc(),
    fsync: (ms) => fsyncSeconds.observe(ms / 1000),
  };
  const providers: ProviderObserver = {
    attempt(provider, model, outcome: AttemptOutcome, seconds, code) {
      live?.attempt(provider, model, outcome, seconds, code);
      callsOf(`${provider}\n${model}\n${outcome}`).inc();
      if (outcome !== 'skipped') secondsOf(`${provider}\n${model}`).observe(seconds);
    },
    usage(provider, model, usage: Usage, costMicros) {
      const at = `${provider}\n${model}\n`;
      if (usage.inputTokens) tokensOf(`${at}input`).inc(usage.inputTokens);
      if (usage.outputTokens) tokensOf(`${at}output`).inc(usage.outputTokens);
      if (usage.cacheReadTokens) tokensOf(`${at}cache_read`).inc(usage.cacheReadTokens);
      if (usage.cacheWriteTokens) tokensOf(`${at}cache_write`).inc(usage.cacheWriteTokens);
      if (costMicros > 0) costOf(`${provider}\n${model}`).inc(costMicros);
    },
    fallback(provider, model) {
      live?.fallback(provider, model);
      fallbacksOf(`${provider}\n${model}`).inc();
    },
  };
  return { registry, kernel, providers };
}
