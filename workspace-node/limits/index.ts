/**
 * The limits folder's public door: cluster-wide provider rate limits (requests and tokens per
 * minute) and org budgets, counted in JetStream KV with compare-and-set, exposed to the router as
 * a {@link CallGate}.
 */
export { createLimiter, openLimitsBucket, type Limiter, type LimiterOptions } from './limiter.js';
export { casUpdate, type CasOptions } from './casUpdate.js';
export {
  epochMinute,
  rateKey,
  reserveRate,
  adjustRate,
  WINDOW_MS,
  type RateLimit,
  type RateWindow,
} from './rateWindow.js';
export {
  budgetKey,
  periodKey,
  reserveBudget,
  adjustBudget,
  type BudgetPeriod,
  type BudgetState,
  type OrgBudget,
} from './budget.js';
export { limitsConfigFromEnv, mergeLimits, budgetResolver, type LimitsConfig } from './limitsConfig.js';
