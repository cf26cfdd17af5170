/**
 * The `invoice.issue` effect of the billing actor (actors/billing.machine.ts): the invoice of a
 * closed period, computed from the workspace's `calls` table. Deterministic: everything it depends
 * on is in the request (bounds, plan segments, adjustments, issue time) or in rows that no longer
 * change for a closed period, so a re-drive after a crash mid-generation returns the same invoice;
 * once returned, the kernel records the outcome and never computes it again.
 *
 * It first waits for the workspace's projections to commit every turn already journaled (calls
 * are projected on a worker thread), so a call of the period that is journaled is counted. A call
 * journaled later than that is billed by the next invoice as late usage (billing/invoiceLedger.ts).
 */
import type { EffectHandlerOf } from '../../actors/kernel/index.js';
import type { Invoice } from '../../schemas/index.js';
import type { InvoiceLedger, LateUsage } from '../billing/invoiceLedger.js';
import { buildInvoice, invoiceId, type PricedSegment, type UsageGroup } from '../billing/invoiceLines.js';
import { planNamed, planResolver, type PlanConfig } from '../providers/plans.js';
import type { PriceTable } from '../providers/prices.js';

export interface InvoiceIssueDeps {
  /** the usage of [from, to) grouped by provider, model, agent (billing/usageGroups.ts) */
  readonly usage: (from: number, to: number) => UsageGroup[];
  /** resolves when every journaled turn is projected */
  readonly flush: () => Promise<void>;
  readonly plans: PlanConfig;
  /** every price table by version (default PRICE_TABLES) */
  readonly priceTables?: Readonly<Record<string, PriceTable>>;
  /**
   * which calls earlier invoices billed (billing/invoiceLedger.ts): with it, calls projected after
   * their period's invoice are billed on the next one; the computation and its marks are one
   * transaction
   */
  readonly ledger?: InvoiceLedger;
  /** fault injection (billing/invoiceFault.ts): called after the usage is read */
  readonly midIssue?: () => void;
}

export function invoiceIssueHandler(deps: InvoiceIssueDeps): EffectHandlerOf<'invoice.issue'> {
  const planOf = planResolver(deps.plans);
  return async ({ address, effect }): Promise<Invoice> => {
    await deps.flush();
    const plans = effect.plans.map((s, i) => ({
      from: s.from,
      to: effect.plans[i + 1]?.from ?? effect.end,
      plan: s.plan === null ? planOf(address.org) : planNamed(deps.plans, s.plan),
    }));
    const compute = (late: readonly LateUsage[]): Invoice => {
      const segments: PricedSegment[] = plans.map((s) => ({ ...s, usage: deps.usage(s.from, s.to) }));
      deps.midIssue?.();
      return buildInvoice({
        org: address.org,
        ws: address.ws,
        label: effect.label,
        start: effect.start,
        end: effect.end,
        timeZone: effect.timeZone,
        issuedAt: effect.issuedAt,
        segments,
        adjustments: effect.adjustments,
        late,
        ...(deps.priceTables ? { priceTables: deps.priceTables } : {}),
      });
    };
    if (!deps.ledger) return compute([]);
    return deps.ledger.issue(
      invoiceId(address.org, address.ws, effect.label),
      {
        label: effect.label,
        start: effect.start,
        end: effect.end,
        segments: plans.map((s) => ({ from: s.from, to: s.to, markup: s.plan.markup })),
      },
      compute,
    );
  };
}
