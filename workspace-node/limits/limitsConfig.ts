/**
 * Rate limits and budgets as configuration: from the project config file (`limits`) and the
 * environment, validated once at node start.
 *
 *   MOE_RATE_LIMITS     JSON, provider → { requestsPerMinute?, tokensPerMinute? }, e.g. {"anthropic":{"requestsPerMinute":50}}
 *   MOE_BUDGET_MICROS   budget of every org without its own, customer price in µ$ (unset: no budget)
 *   MOE_BUDGET_PERIOD   month (default) | day | total
 * The environment wins over the file for what it sets.
 */
import { errors } from '../errors.js';
import type { BudgetPeriod, OrgBudget } from './budget.js';
import type { RateLimit } from './rateWindow.js';

export interface LimitsConfig {
  readonly rates?: Readonly<Record<string, RateLimit>>;
  readonly budgets?: { readonly default?: OrgBudget; readonly orgs?: Readonly<Record<string, OrgBudget>> };
}

const PERIODS: readonly BudgetPeriod[] = ['month', 'day', 'total'];

function positive(v: unknown): boolean {
  return v === undefined || (Number.isInteger(v) && (v as number) > 0);
}

export function limitsConfigFromEnv(env: NodeJS.ProcessEnv = process.env): LimitsConfig {
  let rates: Record<string, RateLimit> | undefined;
  const rawRates = env.MOE_RATE_LIMITS?.trim();
  if (rawRates) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawRates);
    } catch (cause) {
      throw errors.CONFIG(`MOE_RATE_LIMITS is not JSON`, { cause });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw errors.CONFIG('MOE_RATE_LIMITS must be an object');
    rates = {};
    for (const [provider, limit] of Object.entries(parsed as Record<string, Record<string, unknown>>)) {
      if (!positive(limit.requestsPerMinute) || !positive(limit.tokensPerMinute))
        throw errors.CONFIG(
          `MOE_RATE_LIMITS.${provider}: requestsPerMinute / tokensPerMinute must be positive integers`,
        );
      rates[provider] = {
        ...(limit.requestsPerMinute !== undefined
          ? { requestsPerMinute: limit.requestsPerMinute as number }
          : {}),
        ...(limit.tokensPerMinute !== undefined ? { tokensPerMinute: limit.tokensPerMinute as number } : {}),
      };
    }
  }
  const rawBudget = env.MOE_BUDGET_MICROS?.trim();
  let budget: OrgBudget | undefined;
  if (rawBudget) {
    const limitMicros = Number(rawBudget);
    if (!Number.isSafeInteger(limitMicros) || limitMicros < 0)
      throw errors.CONFIG(`MOE_BUDGET_MICROS must be a non-negative integer, got "${rawBudget}"`);
    const period = (env.MOE_BUDGET_PERIOD?.trim() || 'month') as BudgetPeriod;
    if (!PERIODS.includes(period))
      throw errors.CONFIG(`MOE_BUDGET_PERIOD must be one of ${PERIODS.join(', ')}`);
    budget = { limitMicros, period };
  }
  return { ...(rates ? { rates } : {}), ...(budget ? { budgets: { default: budget } } : {}) };
}

/** `over` wins key by key (rates per provider, budgets per org and the default). */
export function mergeLimits(base: LimitsConfig, over: LimitsConfig): LimitsConfig {
  return {
    rates: { ...base.rates, ...over.rates },
    budgets: {
      ...((over.budgets?.default ?? base.budgets?.default)
        ? { default: over.budgets?.default ?? base.budgets?.default }
        : {}),
      orgs: { ...base.budgets?.orgs, ...over.budgets?.orgs },
    },
  };
}

/** org → its budget: its own, else the default, else none. */
export function budgetResolver(config: LimitsConfig): (org: string) => OrgBudget | undefined {
  const orgs = config.budgets?.orgs ?? {};
  return (org) => (Object.hasOwn(orgs, org) ? orgs[org] : config.budgets?.default);
}
