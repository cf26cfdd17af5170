/**
 * The limits folder's public door: cluster-wide provider rate limits (requests and tokens per
 * minute) and org, workspace and project budgets with their alerts, counted in JetStream KV with compare-and-set, exposed to the router as
 * a {@link CallGate}.
 */
export {
  createLimiter,
  openLimitsBucket,
  scopesOf,
  type AlertSink,
  type Limiter,
  type LimiterOptions,
} from './limiter.js';
export { journalAlertSink } from './alertJournal.js';
export { alertIndexKey, kvAlertIndex, type AlertIndex, type AlertIndexEntry } from './alertIndex.js';
export { ALERT_RECOVERY_INTERVAL_MS, startAlertRecovery, type AlertRecovery } from './alertRecovery.js';
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
  budgetInForce,
  crossed,
  type BudgetPeriod,
  type BudgetRecord,
  type BudgetScope,
  type BudgetState,
  type OrgBudget,
} from './budget.js';
export { limitsConfigFromEnv, mergeLimits, budgetResolver, type LimitsConfig } from './limitsConfig.js';
