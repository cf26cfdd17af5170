/**
 * What a node's agents think and act with, built once at node start: the provider router (the
 * configured providers, the default + project profiles, billing plans, and the cluster-wide
 * limiter over the `moe_limits` KV bucket as its gate) and the project's toolset (shell on or
 * off, which tools need approval).
 *
 * Sources, each overriding the one before: the project config file (`MOE_PROJECT_CONFIG`), the
 * environment (provider keys, `MOE_RATE_LIMITS`, `MOE_BUDGET_*`, `MOE_TOOLS_*`), explicit options.
 * With no provider key the offline `scripted` provider serves `default`, and — only then — project
 * profiles naming an unconfigured provider are served by `scripted` too, so a project runs offline
 * (every reply says `provider: scripted`). With any real key configured that never happens.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import {
  budgetResolver,
  createLimiter,
  journalAlertSink,
  kvAlertIndex,
  limitsConfigFromEnv,
  mergeLimits,
  openLimitsBucket,
  type Limiter,
  type LimitsConfig,
} from '../limits/index.js';
import {
  createProviders,
  createRouter,
  defaultProfiles,
  loadProjectConfig,
  planResolver,
  projectProfiles,
  providersConfigFromEnv,
  SCRIPTED_MODEL,
  type AgentProfile,
  type PlanConfig,
  type ProjectConfig,
  type ProviderObserver,
  type ProviderRouter,
  type ProvidersConfig,
  type RetryPolicy,
} from '../providers/index.js';
import { createToolset, type Toolset, type ToolsetOptions } from '../tools/index.js';
import { errors } from '../errors.js';
import { killAfterAlertMark } from '../faults.js';

export interface AgentRuntimeOptions {
  readonly nc: NatsConnection;
  readonly env?: NodeJS.ProcessEnv;
  /** a parsed config, or the path of its JSON file (default: $MOE_PROJECT_CONFIG) */
  readonly projectConfig?: ProjectConfig | string;
  /** provider keys and base URLs (default: from the environment) */
  readonly providers?: ProvidersConfig;
  /** profiles added over the defaults and the project's */
  readonly profiles?: Readonly<Record<string, AgentProfile>>;
  readonly limits?: LimitsConfig;
  readonly plans?: PlanConfig;
  readonly toolset?: ToolsetOptions;
  /** the router's per-target retry policy */
  readonly routerRetry?: Partial<RetryPolicy>;
  readonly stepDelayMs?: number;
  readonly logger?: Logger;
  /** the node's metrics: every provider attempt and served reply */
  readonly providerObserver?: ProviderObserver;
  /** the node id: owner of the budget alerts this node marks (re-published at its next start) */
  readonly nodeId?: string;
}

export interface AgentRuntime {
  readonly router: ProviderRouter;
  readonly toolset: Toolset;
  readonly limiter: Limiter;
  readonly profiles: Readonly<Record<string, AgentProfile>>;
  /** true when no real provider is configured */
  readonly offline: boolean;
  /** the billing plans and which org is on which (the router's markup; the billing actor's invoices) */
  readonly plans: PlanConfig;
}

function list(raw: string | undefined): string[] | undefined {
  const v = raw?.trim();
  return v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;
}

/** Toolset options: file, then env (`MOE_TOOLS_SHELL=1`, `MOE_TOOLS_APPROVAL=shell,write_file`), then explicit. */
export function toolsetOptions(
  file: ProjectConfig['tools'],
  env: NodeJS.ProcessEnv,
  explicit?: ToolsetOptions,
): ToolsetOptions {
  const shellEnv = env.MOE_TOOLS_SHELL?.trim();
  if (shellEnv && !['0', '1', 'true', 'false'].includes(shellEnv))
    throw errors.CONFIG(`MOE_TOOLS_SHELL must be 0 or 1, got "${shellEnv}"`);
  const shell =
    explicit?.shell ??
    (shellEnv ? { ...file?.shell, enabled: shellEnv === '1' || shellEnv === 'true' } : file?.shell);
  const approval = explicit?.approval ?? list(env.MOE_TOOLS_APPROVAL) ?? file?.approval;
  return { ...explicit, ...(shell ? { shell } : {}), ...(approval ? { approval } : {}) };
}

export async function createAgentRuntime(o: AgentRuntimeOptions): Promise<AgentRuntime> {
  const env = o.env ?? process.env;
  const source = o.projectConfig ?? env.MOE_PROJECT_CONFIG?.trim();
  const project: ProjectConfig =
    typeof source === 'string' && source
      ? loadProjectConfig(source)
      : typeof source === 'object'
        ? source
        : {};

  const providersConfig: ProvidersConfig = {
    ...(o.providers ?? providersConfigFromEnv(env)),
    scripted: { stepDelayMs: o.stepDelayMs ?? 0 },
  };
  const providers = createProviders(providersConfig);
  const offline = providers.size === 1;
  const fromProject = projectProfiles(project);
  if (offline) {
    for (const [name, p] of Object.entries(fromProject))
      if (!providers.has(p.provider))
        fromProject[name] = { ...p, provider: 'scripted', model: SCRIPTED_MODEL, fallbacks: [] };
  }
  const profiles = { ...defaultProfiles(providersConfig), ...fromProject, ...o.profiles };

  const afterAlertMarked = killAfterAlertMark(env);
  const limits = mergeLimits(mergeLimits(project.limits ?? {}, limitsConfigFromEnv(env)), o.limits ?? {});
  const limitsKv = await openLimitsBucket(o.nc);
  const limiter = createLimiter({
    kv: limitsKv,
    rates: limits.rates ?? {},
    budgetOf: budgetResolver(limits),
    // thresholds crossed by a settlement are journaled as `budget.alert` (webhooks follow from there)
    onAlert: journalAlertSink(jetstream(o.nc)),
    alertIndex: kvAlertIndex(limitsKv, await jetstreamManager(o.nc)),
    ...(o.nodeId ? { owner: o.nodeId } : {}),
    ...(afterAlertMarked ? { afterAlertMarked } : {}),
  });
  const plans = o.plans ?? project.plans ?? {};
  const router = createRouter({
    providers,
    profiles,
    planOf: planResolver(plans),
    gate: limiter,
    ...(o.routerRetry ? { retry: o.routerRetry } : {}),
    ...(o.logger ? { logger: o.logger } : {}),
    ...(o.providerObserver ? { observer: o.providerObserver } : {}),
  });
  const toolset = createToolset(toolsetOptions(project.tools, env, o.toolset));
  return { router, toolset, limiter, profiles, offline, plans };
}
