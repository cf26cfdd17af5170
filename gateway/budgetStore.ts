/**
 * Budget records as the routes read them: the limiter's record of a scope (org, workspace or
 * project) in the `moe_limits` KV bucket (schemas/budgets.ts), and the view `GET …/budget` and
 * `GET /api/workspaces/:id/billing` answer with (the setting, this period's usage, fired alerts).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import {
  budgetKey,
  KV_BUCKETS,
  periodKey,
  thresholdsOf,
  type BudgetRecord,
  type BudgetScope,
} from '../schemas/index.js';

/** What `GET …/budget` answers. */
export function budgetView(scope: BudgetScope, record: BudgetRecord | undefined, now: number) {
  const s = record?.setting;
  const period = s ? periodKey(s.period ?? 'month', now) : null;
  const current = record && period !== null && record.period === period;
  return {
    scope: scope.kind,
    org: scope.org,
    id: scope.id,
    unit: 'micros',
    budget: s
      ? { limitMicros: s.limitMicros, period: s.period ?? 'month', thresholds: thresholdsOf(s) }
      : null,
    period,
    usedMicros: current ? record.usedMicros : 0,
    alerted: current ? [...(record.alerted ?? [])] : [],
  };
}

/** The `moe_limits` bucket (opened once) and the view of a scope's budget. */
export function budgetStore(nc: NatsConnection) {
  let bucket: Promise<KV> | undefined;
  const kv = () => (bucket ??= new Kvm(nc).create(KV_BUCKETS.limits, { history: 1 }));
  return {
    kv,
    async view(scope: BudgetScope) {
      const e = await (await kv()).get(budgetKey(scope));
      const record = e && e.operation === 'PUT' ? e.json<BudgetRecord>() : undefined;
      return budgetView(scope, record, Date.now());
    },
  };
}
