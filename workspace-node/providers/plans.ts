/**
 * Billing plans: what markup an organisation pays on top of provider cost. Seed 002 prices the
 * customer at 5× cost; that is the `standard` plan and the default. Plans and which org is on
 * which plan are configuration, checked once when the resolver is built.
 *
 * A plan also carries a fee per billing period, credits included per period (a `credit` line on
 * the invoice, never more than the usage it covers) and limits (informational here: the budgets
 * of workspace-node/limits/ enforce spending). When a workspace changes plan mid-period
 * (`billing.plan`), the invoice prorates: see workspace-node/billing/invoiceLines.ts and
 * docs/billing.md#plans.
 */
import { errors } from '../errors.js';

export interface Plan {
  readonly name: string;
  /** customer price = provider cost × markup (exact to 4 decimals) */
  readonly markup: number;
  /** charged per billing period (a `plan` line), prorated by time on the plan; default 0 */
  readonly feeMicros?: number;
  /** credits included per billing period (a `credit` line), prorated by time on the plan; default 0 */
  readonly includedCreditsMicros?: number;
  readonly limits?: PlanLimits;
}

/** What a plan allows (shown with the plan; spending is enforced by the budgets in limits/). */
export interface PlanLimits {
  /** customer price per period, µ$ */
  readonly monthlySpendMicros?: number;
  readonly agents?: number;
  readonly workspaces?: number;
}

export const DEFAULT_PLANS: Readonly<Record<string, Plan>> = {
  standard: { name: 'standard', markup: 5, feeMicros: 0, includedCreditsMicros: 0 },
  team: { name: 'team', markup: 4 },
  enterprise: { name: 'enterprise', markup: 3 },
  internal: { name: 'internal', markup: 1 },
};

export interface PlanConfig {
  readonly plans?: Readonly<Record<string, Plan>>;
  /** org id → plan name; orgs not listed get `defaultPlan` */
  readonly orgPlans?: Readonly<Record<string, string>>;
  readonly defaultPlan?: string;
}

export type PlanOf = (org: string) => Plan;

/**
 * @example const planOf = planResolver({ orgPlans: { acme: 'enterprise' } }); planOf('acme').markup // 3
 */
export function planResolver(config: PlanConfig = {}): PlanOf {
  const plans = config.plans ?? DEFAULT_PLANS;
  const defaultName = config.defaultPlan ?? 'standard';
  const get = (name: string): Plan => {
    const plan = plans[name];
    if (!plan) throw errors.PLAN_UNKNOWN(name);
    if (!(plan.markup >= 0) || !Number.isFinite(plan.markup)) throw errors.CONFIG(`plan ${name}: bad markup`);
    for (const field of ['feeMicros', 'includedCreditsMicros'] as const) {
      const v = plan[field];
      if (v !== undefined && (!Number.isSafeInteger(v) || v < 0))
        throw errors.CONFIG(`plan ${name}: ${field} must be a non-negative integer (µ$)`);
    }
    return plan;
  };
  const fallback = get(defaultName);
  const assigned = new Map<string, Plan>();
  for (const [org, name] of Object.entries(config.orgPlans ?? {})) assigned.set(org, get(name));
  return (org) => assigned.get(org) ?? fallback;
}

/** The plan called `name` in `config` (its plans, else the defaults); PLAN_UNKNOWN when none. */
export function planNamed(config: PlanConfig, name: string): Plan {
  const plan = (config.plans ?? DEFAULT_PLANS)[name];
  if (!plan) throw errors.PLAN_UNKNOWN(name);
  return plan;
}
