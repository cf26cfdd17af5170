/**
 * Cluster-wide limits as the router's {@link CallGate}: every node reserves against the same
 * counters in the `moe_limits` KV bucket, so a provider's rate limit and an org's budget hold for
 * the whole cluster, not per process.
 *
 *   reserve:  rate window of the provider (+1 request, +estimated tokens)
 *             then budget of the org (+estimated price)  — the rate reservation is undone if the
 *             budget refuses, since no call is made
 *   settle:   replace the estimates by the real tokens and price (same window/period only)
 *   release:  the call failed: give the tokens and price back; the request stays counted
 *
 * A node that dies between reserve and settle leaves its estimate counted: the rate window ends
 * within a minute; the budget keeps the (over-)estimate until the period ends. That errs on the
 * side of never overspending.
 */
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { systemClock, type Clock } from '../../actors/kernel/index.js';
import { KV_BUCKETS } from '../../schemas/index.js';
import type { CallGate, GateRequest, GateTicket } from '../providers/index.js';
import {
  adjustBudget,
  budgetKey,
  periodKey,
  reserveBudget,
  type BudgetState,
  type OrgBudget,
} from './budget.js';
import { casUpdate } from './casUpdate.js';
import {
  adjustRate,
  epochMinute,
  rateKey,
  reserveRate,
  type RateLimit,
  type RateWindow,
} from './rateWindow.js';

export interface LimiterOptions {
  readonly kv: KV;
  /** provider name → its limits; providers not listed are not rate-limited */
  readonly rates?: Readonly<Record<string, RateLimit>>;
  /** org → its budget; undefined: no budget */
  readonly budgetOf?: (org: string) => OrgBudget | undefined;
  readonly clock?: Clock;
}

export interface Limiter extends CallGate {
  /** the current counters (for dashboards and tests) */
  rateWindow(provider: string): Promise<RateWindow | undefined>;
  budgetState(org: string): Promise<BudgetState | undefined>;
}

/** Creates (or binds to) the limits bucket: one revision per key is all CAS needs. */
export async function openLimitsBucket(nc: NatsConnection): Promise<KV> {
  return new Kvm(nc).create(KV_BUCKETS.limits, { history: 1 });
}

/**
 * @example
 *   const limiter = createLimiter({ kv: await openLimitsBucket(nc), rates: { anthropic: { requestsPerMinute: 50 } },
 *                                   budgetOf: (org) => ({ limitMicros: 100_000_000, period: 'month' }) });
 *   const router = createRouter({ providers, profiles, gate: limiter });
 */
export function createLimiter(options: LimiterOptions): Limiter {
  const { kv } = options;
  const clock = options.clock ?? systemClock;

  async function reserve(req: GateRequest): Promise<GateTicket> {
    const now = clock.now();
    const limit = options.rates?.[req.provider];
    const minute = epochMinute(now);
    if (limit) {
      await casUpdate<RateWindow>(kv, rateKey(req.provider), (cur) =>
        reserveRate(cur, minute, limit, req.tokens, now, req.provider),
      );
    }
    const budget = options.budgetOf?.(req.org);
    const period = budget ? periodKey(budget.period, now) : '';
    const adjustRateBy = (delta: { requests: number; tokens: number }) =>
      limit
        ? casUpdate<RateWindow | undefined>(kv, rateKey(req.provider), (cur) =>
            adjustRate(cur, minute, delta),
          )
        : Promise.resolve(undefined);
    const adjustBudgetBy = (deltaMicros: number) =>
      budget && deltaMicros !== 0
        ? casUpdate<BudgetState | undefined>(kv, budgetKey(req.org), (cur) =>
            adjustBudget(cur, period, deltaMicros),
          )
        : Promise.resolve(undefined);

    if (budget) {
      try {
        await casUpdate<BudgetState>(kv, budgetKey(req.org), (cur) =>
          reserveBudget(cur, period, budget, req.priceMicros, req.org),
        );
      } catch (err) {
        await adjustRateBy({ requests: -1, tokens: -req.tokens });
        throw err;
      }
    }

    let done = false;
    const once = () => {
      if (done) return false;
      done = true;
      return true;
    };
    return {
      async settle(actual) {
        if (!once()) return;
        await adjustRateBy({ requests: 0, tokens: actual.tokens - req.tokens });
        await adjustBudgetBy(actual.priceMicros - req.priceMicros);
      },
      async release() {
        if (!once()) return;
        await adjustRateBy({ requests: 0, tokens: -req.tokens });
        await adjustBudgetBy(-req.priceMicros);
      },
    };
  }

  async function read<T>(key: string): Promise<T | undefined> {
    const e = await kv.get(key);
    return e && e.operation === 'PUT' ? e.json<T>() : undefined;
  }

  return {
    reserve,
    rateWindow: (provider) => read<RateWindow>(rateKey(provider)),
    budgetState: (org) => read<BudgetState>(budgetKey(org)),
  };
}
