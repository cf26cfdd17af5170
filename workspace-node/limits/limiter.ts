/**
 * Cluster-wide limits as the router's {@link CallGate}: every node reserves against the same
 * counters in the `moe_limits` KV bucket, so a provider's rate limit and a budget hold for the
 * whole cluster, not per process.
 *
 *   reserve:  rate window of the provider (+1 request, +estimated tokens)
 *             then every budget that applies, in order org → workspace → project (+estimated
 *             price each); a refusal undoes what was already reserved (rate and earlier budgets),
 *             since no call is made, and names the scope in MOE_ERR_BUDGET_EXCEEDED
 *   settle:   replace the estimates by the real tokens and price (same window/period only); a
 *             settlement that takes a budget past one of its alert thresholds marks the threshold
 *             in the same compare-and-set (the alert pending there), and only then announces it
 *             (`onAlert`) and confirms it: two nodes crossing together cannot both win the
 *             marker, so each alert fires once per period; one left pending by a dead node is
 *             announced by that node's next start (`recoverAlerts`, same owner), by any node's
 *             periodic sweep once the claim is stale, or by the next settlement of that budget.
 *             The sweeps find it through the pending-alerts index (alertIndex.ts), written before
 *             the mark, so they cost O(pending alerts), not O(budgets)
 *   release:  the call failed: give the tokens and price back; the request stays counted
 *
 * A budget is in force when it was set over REST (its KV record carries the setting) or, for an
 * org, when the node's configuration gives one (`budgetOf`). A scope without a budget costs one KV
 * read and no write.
 *
 * A node that dies between reserve and settle leaves its estimate counted: the rate window ends
 * within a minute; the budget keeps the (over-)estimate until the period ends. That errs on the
 * side of never overspending.
 */
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { systemClock, type Clock } from '../../actors/kernel/index.js';
import {
  budgetAlertId,
  KV_BUCKETS,
  ORG_BUDGET_WS,
  type BudgetAlert,
  type PendingAlert,
} from '../../schemas/index.js';
import type { CallGate, GateRequest, GateTicket } from '../providers/index.js';
import {
  adjustBudget,
  budgetInForce,
  claimPending,
  claimRecoverable,
  confirmPending,
  budgetKey,
  PENDING_ALERT_STALE_MS,
  periodKey,
  reserveBudget,
  type BudgetRecord,
  type BudgetScope,
  type BudgetState,
  type OrgBudget,
} from './budget.js';
import type { AlertIndex, AlertIndexEntry } from './alertIndex.js';
import { casUpdate } from './casUpdate.js';
import {
  adjustRate,
  epochMinute,
  rateKey,
  reserveRate,
  type RateLimit,
  type RateWindow,
} from './rateWindow.js';

/** Where an alert goes: `ws` is the workspace whose journal carries it (`_org` for an org budget). */
export type AlertSink = (
  alert: BudgetAlert,
  where: {
    readonly ws: string;
    /** 1, 2, …: the how-manieth alert of this budget, all periods */ readonly seq: number;
  },
) => Promise<void>;

interface BaseLimiterOptions {
  readonly kv: KV;
  /** provider name → its limits; providers not listed are not rate-limited */
  readonly rates?: Readonly<Record<string, RateLimit>>;
  /** org → its configured budget (a budget set over REST wins); undefined: none */
  readonly budgetOf?: (org: string) => OrgBudget | undefined;
  readonly clock?: Clock;
  /**
   * who claims the alerts this limiter marks (the node id): at its next start the node re-publishes
   * at once what it claimed before and never published (`recoverAlerts`)
   */
  readonly owner?: string;
  /** fault injection (faults.ts `killAfterAlertMark`): called after an alert is marked, before it is published */
  readonly afterAlertMarked?: () => void;
}

/** Alerts are tracked with both a sink and the pending-alerts index, or not at all. */
type AlertOptions =
  | { readonly onAlert?: undefined; readonly alertIndex?: undefined }
  | {
      /** told of each threshold a settlement crossed; without it, thresholds are not tracked */
      readonly onAlert: AlertSink;
      /** where pending alerts are indexed for recovery (alertIndex.ts) */
      readonly alertIndex: AlertIndex;
    };

export type LimiterOptions = BaseLimiterOptions & AlertOptions;

export interface Limiter extends CallGate {
  /** the current counters (for dashboards and tests) */
  rateWindow(provider: string): Promise<RateWindow | undefined>;
  budgetState(org: string): Promise<BudgetState | undefined>;
  /** any budget's record: its setting, usage this period and fired thresholds */
  budgetRecord(scope: BudgetScope): Promise<BudgetRecord | undefined>;
  /**
   * The outbox recovery: publishes the marked-but-unpublished alerts (found through the
   * pending-alerts index, not by reading every budget) that no live publisher holds (claimed by this owner before this limiter was created, or stale), each claimed
   * by one compare-and-set, published with its stable msg id and turn, then confirmed. Returns how
   * many it published. Run at node start and periodically (alertRecovery.ts).
   */
  recoverAlerts(): Promise<number>;
}

/** Creates (or binds to) the limits bucket: one revision per key is all CAS needs. */
export async function openLimitsBucket(nc: NatsConnection): Promise<KV> {
  return new Kvm(nc).create(KV_BUCKETS.limits, { history: 1 });
}

/** The budgets a call is counted against: its org's, its workspace's and its project's. */
export function scopesOf(req: GateRequest): BudgetScope[] {
  const scopes: BudgetScope[] = [{ kind: 'org', org: req.org, id: req.org }];
  if (req.ws) scopes.push({ kind: 'workspace', org: req.org, id: req.ws });
  if (req.project) scopes.push({ kind: 'project', org: req.org, id: req.project });
  return scopes;
}

/** A budget this call reserved against: what to correct at settlement. */
interface Held {
  readonly scope: BudgetScope;
  readonly budget: OrgBudget;
  readonly period: string;
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
  const index = options.alertIndex;
  const tracksAlerts = options.onAlert !== undefined;
  /** alerts claimed by this owner before this instant were claimed by a process that is gone */
  const since = clock.now();
  const by = options.owner ? { claimedBy: options.owner } : {};

  /** Publishes the alerts a write claimed, confirming each once its publish is acknowledged. */
  async function publishClaimed(key: string, claimed: readonly PendingAlert[]): Promise<void> {
    for (const p of claimed) {
      await options.onAlert?.(p.alert, { ws: p.ws, seq: p.seq });
      await casUpdate<BudgetRecord | undefined>(kv, key, (cur) => confirmPending(cur, p.alert.id));
      await index?.remove([p.alert.id]);
    }
  }

  /** Reserves against one scope's budget, if it has one; what was held, or undefined. */
  async function reserveScope(scope: BudgetScope, micros: number, now: number): Promise<Held | undefined> {
    const fallback = scope.kind === 'org' ? options.budgetOf?.(scope.org) : undefined;
    let held: Held | undefined;
    await casUpdate<BudgetRecord | undefined>(kv, budgetKey(scope), (cur) => {
      const budget = budgetInForce(cur, fallback);
      held = undefined;
      if (!budget) return cur;
      const period = periodKey(budget.period, now);
      held = { scope, budget, period };
      return reserveBudget(cur, period, budget, micros, scope);
    });
    return held;
  }

  /**
   * Corrects one held budget by `deltaMicros`; a settlement (`alerts`) also marks the thresholds
   * it reached and announces the ones this write won. Releases and rollbacks never alert.
   */
  async function adjustScope(h: Held, deltaMicros: number, ws: string | undefined, alerts = false) {
    const marks = alerts && tracksAlerts;
    if (deltaMicros === 0 && !marks) return;
    const key = budgetKey(h.scope);
    const where = h.scope.kind === 'org' ? ORG_BUDGET_WS : (ws ?? ORG_BUDGET_WS);
    let claimed: PendingAlert[] = [];
    /** alert id → when this settlement indexed it (alertIndex.ts: indexed before it is marked) */
    const indexed = new Map<string, number>();
    let unindexed: string[] = [];
    const mark = (cur: BudgetRecord | undefined) => {
      const out = adjustBudget(cur, h.period, deltaMicros, marks ? h.budget : undefined);
      claimed = [];
      unindexed = [];
      if (!marks || !out.record) return out.record;
      const now = clock.now();
      const first = (out.record.alerts ?? 0) - out.fired.length;
      const fresh = out.fired.map((threshold, i): PendingAlert => ({
        alert: {
          type: 'budget.alert',
          id: budgetAlertId(h.scope, h.period, threshold),
          org: h.scope.org,
          scope: h.scope.kind,
          scopeId: h.scope.id,
          period: h.period,
          threshold,
          limitMicros: h.budget.limitMicros,
          usedMicros: out.record!.usedMicros,
          at: now,
        },
        ws: where,
        seq: first + i + 1,
        claimedAt: now,
        ...by,
      }));
      // an entry written long ago may have been swept as an orphan meanwhile: write it again
      unindexed = fresh
        .map((p) => p.alert.id)
        .filter((id) => !(now - (indexed.get(id) ?? -Infinity) < PENDING_ALERT_STALE_MS / 2));
      if (unindexed.length) return cur; // index first, then mark (in the next attempt)
      const c = claimPending(out.record, fresh, now, options.owner);
      claimed = c.claimed;
      return c.record;
    };
    for (;;) {
      await casUpdate<BudgetRecord | undefined>(kv, key, mark);
      if (!unindexed.length) break;
      const at = clock.now();
      await index!.add(key, unindexed, at);
      for (const id of unindexed) indexed.set(id, at);
    }
    // Published after the marker is durable, then confirmed: a node that dies in between leaves
    // the alert pending, and the next settlement of this budget (any node) publishes it again —
    // with the same Nats-Msg-Id and journal turn, so a publish that did land is not repeated.
    if (claimed.length) options.afterAlertMarked?.();
    await publishClaimed(key, claimed);
  }

  async function recoverAlerts(): Promise<number> {
    if (!index) return 0;
    const byBudget = new Map<string, AlertIndexEntry[]>();
    for (const e of await index.list()) byBudget.set(e.budget, [...(byBudget.get(e.budget) ?? []), e]);
    let published = 0;
    for (const [key, entries] of [...byBudget].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const owed = await read<BudgetRecord>(key);
      let claimed: PendingAlert[] = [];
      if (owed?.pending?.length)
        await casUpdate<BudgetRecord | undefined>(kv, key, (cur) => {
          claimed = [];
          if (!cur?.pending?.length) return cur;
          const c = claimRecoverable(cur, clock.now(), options.owner, since);
          claimed = c.claimed;
          return c.record;
        });
      await publishClaimed(key, claimed);
      published += claimed.length;
      // orphans: indexed long enough ago that their mark, had it been written, would be in the record
      const pending = new Set((owed?.pending ?? []).map((p) => p.alert.id));
      const orphans = entries.filter(
        (e) => !pending.has(e.id) && clock.now() - e.at >= PENDING_ALERT_STALE_MS,
      );
      await index.remove(orphans.map((e) => e.id));
    }
    return published;
  }

  async function reserve(req: GateRequest): Promise<GateTicket> {
    const now = clock.now();
    const limit = options.rates?.[req.provider];
    const minute = epochMinute(now);
    if (limit) {
      await casUpdate<RateWindow>(kv, rateKey(req.provider), (cur) =>
        reserveRate(cur, minute, limit, req.tokens, now, req.provider),
      );
    }
    const adjustRateBy = (delta: { requests: number; tokens: number }) =>
      limit
        ? casUpdate<RateWindow | undefined>(kv, rateKey(req.provider), (cur) =>
            adjustRate(cur, minute, delta),
          )
        : Promise.resolve(undefined);

    const held: Held[] = [];
    try {
      for (const scope of scopesOf(req)) {
        const h = await reserveScope(scope, req.priceMicros, now);
        if (h) held.push(h);
      }
    } catch (err) {
      for (const h of held) await adjustScope(h, -req.priceMicros, req.ws);
      await adjustRateBy({ requests: -1, tokens: -req.tokens });
      throw err;
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
        for (const h of held) await adjustScope(h, actual.priceMicros - req.priceMicros, req.ws, true);
      },
      async release() {
        if (!once()) return;
        await adjustRateBy({ requests: 0, tokens: -req.tokens });
        for (const h of held) await adjustScope(h, -req.priceMicros, req.ws);
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
    budgetState: (org) => read<BudgetState>(budgetKey({ kind: 'org', org, id: org })),
    budgetRecord: (scope) => read<BudgetRecord>(budgetKey(scope)),
    recoverAlerts,
  };
}
