/**
 * Billing plans: what markup an organisation pays on top of provider cost. Seed 002 prices the
 * customer at 5× cost; that is the `standard` plan and the default. Plans and which org is on
 * which plan are configuration, checked once when the resolver is built.
 */
import { errors } from '../errors.js';

export interface Plan {
  readonly name: string;
  /** customer price = provider cost × markup */
  readonly markup: number;
}

export const DEFAULT_PLANS: Readonly<Record<string, Plan>> = {
  standard: { name: 'standard', markup: 5 },
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
    return plan;
  };
  const fallback = get(defaultName);
  const assigned = new Map<string, Plan>();
  for (const [org, name] of Object.entries(config.orgPlans ?? {})) assigned.set(org, get(name));
  return (org) => assigned.get(org) ?? fallback;
}
