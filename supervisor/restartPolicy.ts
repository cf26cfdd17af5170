/**
 * Restart policies per actor kind, in the manner of OTP's supervisor intensity/period and Akka's
 * backoff supervisor: an actor that fails (a command of it was dead-lettered) is restarted — the
 * failed command is delivered again after a backoff — at most `maxRestarts` times within
 * `windowMs`; one failure more and the policy gives up: `stop` (the actor is left with the command
 * dead-lettered, nothing more is tried) or `escalate` (also: an `actor.escalated` event and an
 * alert to `escalateTo`: the actor's coordinator, the org's admins, or the operators).
 *
 * Pure: {@link decide} reads the actor's recent failures and the policy and says what to do.
 * Policies come from `MOE_RESTART_POLICIES` (JSON, kind → partial policy, `*` for every kind
 * without its own), validated once ({@link restartPoliciesFromEnv}). docs/operations.md "Restart
 * policies and escalation" shows the format.
 */
import { exponentialDelay } from '../actors/kernel/index.js';
import type { EscalationTarget } from '../schemas/index.js';
import { errors } from './errors.js';

export type { EscalationTarget };

export interface RestartPolicy {
  /** restarts allowed within `windowMs` (0: never restart) */
  readonly maxRestarts: number;
  /** the sliding window over which restarts are counted (ms) */
  readonly windowMs: number;
  /** the first restart waits this long; each next one twice as long … */
  readonly backoffBaseMs: number;
  /** … up to this */
  readonly backoffMaxMs: number;
  /** what happens once the restarts are used up */
  readonly then: 'stop' | 'escalate';
  /** who hears of an escalation */
  readonly escalateTo: EscalationTarget;
}

/** 3 restarts a minute, backoff 1 s doubling to 30 s, then the operators hear of it. */
export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  maxRestarts: 3,
  windowMs: 60_000,
  backoffBaseMs: 1_000,
  backoffMaxMs: 30_000,
  then: 'escalate',
  escalateTo: 'operators',
};

export type RestartPolicies = Readonly<Record<string, RestartPolicy>>;

export type Decision =
  | { readonly action: 'restart'; readonly delayMs: number; readonly restart: number }
  | { readonly action: 'stop'; readonly restarts: number }
  | { readonly action: 'escalate'; readonly to: EscalationTarget; readonly restarts: number };

/** The policy of an actor kind: its own, else `*`, else {@link DEFAULT_RESTART_POLICY}. */
export function policyOf(policies: RestartPolicies, kind: string): RestartPolicy {
  return policies[kind] ?? policies['*'] ?? DEFAULT_RESTART_POLICY;
}

/**
 * What to do about a failure at `now`, given when this actor was restarted before (epoch ms, any
 * order). Restarts older than the window do not count.
 *
 * @example decide(policy, [], 1000) // { action: 'restart', delayMs: policy.backoffBaseMs, restart: 1 }
 */
export function decide(policy: RestartPolicy, restartsAt: readonly number[], now: number): Decision {
  const recent = restartsAt.filter((t) => now - t < policy.windowMs).length;
  if (recent < policy.maxRestarts) {
    const restart = recent + 1;
    const delayMs = exponentialDelay(restart, {
      baseDelayMs: policy.backoffBaseMs,
      maxDelayMs: policy.backoffMaxMs,
    });
    return { action: 'restart', delayMs, restart };
  }
  if (policy.then === 'stop') return { action: 'stop', restarts: recent };
  return { action: 'escalate', to: policy.escalateTo, restarts: recent };
}

const TARGETS: readonly EscalationTarget[] = ['coordinator', 'org-admin', 'operators'];

function nonNegative(where: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    throw errors.RESTART_POLICY(`${where} must be a non-negative number, got ${JSON.stringify(v)}`);
  return v;
}

/** One policy from its JSON (missing fields from `base`). */
export function parseRestartPolicy(
  where: string,
  raw: unknown,
  base = DEFAULT_RESTART_POLICY,
): RestartPolicy {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw errors.RESTART_POLICY(`${where} must be an object`);
  const r = raw as Record<string, unknown>;
  const known = new Set(['maxRestarts', 'windowMs', 'backoffBaseMs', 'backoffMaxMs', 'then', 'escalateTo']);
  for (const k of Object.keys(r))
    if (!known.has(k)) throw errors.RESTART_POLICY(`${where}.${k} is not a field`);
  const then = r.then ?? base.then;
  if (then !== 'stop' && then !== 'escalate')
    throw errors.RESTART_POLICY(`${where}.then must be "stop" or "escalate", got ${JSON.stringify(then)}`);
  const escalateTo = r.escalateTo ?? base.escalateTo;
  if (!TARGETS.includes(escalateTo as EscalationTarget))
    throw errors.RESTART_POLICY(`${where}.escalateTo must be one of ${TARGETS.join(', ')}`);
  const policy: RestartPolicy = {
    maxRestarts: Math.floor(nonNegative(`${where}.maxRestarts`, r.maxRestarts, base.maxRestarts)),
    windowMs: nonNegative(`${where}.windowMs`, r.windowMs, base.windowMs),
    backoffBaseMs: nonNegative(`${where}.backoffBaseMs`, r.backoffBaseMs, base.backoffBaseMs),
    backoffMaxMs: nonNegative(`${where}.backoffMaxMs`, r.backoffMaxMs, base.backoffMaxMs),
    then,
    escalateTo: escalateTo as EscalationTarget,
  };
  if (policy.backoffMaxMs < policy.backoffBaseMs)
    throw errors.RESTART_POLICY(`${where}.backoffMaxMs is below backoffBaseMs`);
  return policy;
}

/** `MOE_RESTART_POLICIES`: `{"agent": {"maxRestarts": 5, …}, "*": {"then": "stop"}}`; unset → {}. */
export function restartPoliciesFromEnv(env: NodeJS.ProcessEnv = process.env): RestartPolicies {
  const text = env.MOE_RESTART_POLICIES?.trim();
  if (!text) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw errors.RESTART_POLICY(`MOE_RESTART_POLICIES is not JSON: ${String(err)}`, { cause: err });
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw errors.RESTART_POLICY('MOE_RESTART_POLICIES must be an object: actor kind → policy');
  const entries = Object.entries(raw as Record<string, unknown>);
  const star = (raw as Record<string, unknown>)['*'];
  const base =
    star === undefined ? DEFAULT_RESTART_POLICY : parseRestartPolicy('MOE_RESTART_POLICIES.*', star);
  return Object.fromEntries(
    entries.map(([kind, p]) => [
      kind,
      kind === '*' ? base : parseRestartPolicy(`MOE_RESTART_POLICIES.${kind}`, p, base),
    ]),
  );
}
