/**
 * The arithmetic of an invoice (issue 12 items 2 and 3), pure: from the usage of a period grouped
 * by plan segment, provider, model, agent and price-table version, to the immutable {@link Invoice}. Exact in integer
 * micro-dollars (µ$), every rounding stated:
 *
 *   usage line cost    = Σ the calls' cost_micros (each call's cost was rounded UP once, from exact
 *                        pico-dollars, in providers/prices.ts `costOf`; summing integers is exact)
 *   usage line price   = ⌈cost × markup⌉ (prices.ts `priceOf`: the markup exact to 4 decimals,
 *                        rounded UP once per line, with the markup of the plan in effect then)
 *   usage line margin  = price − cost
 *   plan line (fee)    = ⌊fee × ms on the plan / ms in the period⌋ per plan segment
 *   credit line        = −min(Σ ⌊included credits × ms on the plan / ms in the period⌋, usage price)
 *   late usage line    = an `adjustment` line per (issued period, plan segment, provider, model, agent,
 *                        price table) of calls its invoice missed (invoiceLedger.ts): cost = Σ their
 *                        cost_micros, price = ⌈cost × the markup of that segment⌉; included credits
 *                        do not cover it
 *   adjustment line    = the adjustment's amount (signed: negative is a credit)
 *   totals             costMicros = Σ usage costs; priceMicros = Σ usage prices + Σ plan fees;
 *                      creditsMicros = Σ credit + adjustment lines; marginMicros = priceMicros +
 *                      creditsMicros − costMicros (= Σ line margins); dueMicros = max(0, priceMicros
 *                      + creditsMicros)
 *
 * Proration (a plan change mid-period, `billing.plan`): the period is cut into segments at each
 * change; a call is priced with the markup of the segment its command time falls in, and fees and
 * included credits count for the time on each plan, rounded DOWN (the customer never pays for time
 * on a plan they did not have, and never gets a credit they did not earn).
 *
 * Unit prices on a usage line are those of the price table its calls were priced with (each call row
 * names its version; rows from before that: the previous table, LEGACY_PRICE_TABLE).
 *
 * Lines come out in a fixed order (segment, provider, model, agent, price table; then plan, credit,
 * late usage (oldest period first), adjustment lines), so the same inputs always give the same invoice, byte for byte.
 */
import type { Invoice, InvoiceLine } from '../../schemas/index.js';
import type { PriceTable } from '../providers/prices.js';
import { PRICE_TABLES, priceOf } from '../providers/prices.js';
import type { Plan } from '../providers/plans.js';
import type { LateUsage, UsageGroup } from './billedUsage.js';

export type { LateUsage, UsageGroup } from './billedUsage.js';

/** A plan in effect over [from, to) of the period, with the usage of that time. */
export interface PricedSegment {
  readonly from: number;
  readonly to: number;
  readonly plan: Plan;
  readonly usage: readonly UsageGroup[];
}

export interface InvoiceInput {
  readonly org: string;
  readonly ws: string;
  readonly label: string;
  readonly start: number;
  readonly end: number;
  readonly timeZone: string;
  readonly issuedAt: number;
  /** oldest first, covering [start, end) without gaps */
  readonly segments: readonly PricedSegment[];
  readonly adjustments: readonly { readonly amountMicros: number; readonly reason: string }[];
  /** calls of earlier, already issued periods that their invoice missed (invoiceLedger.ts) */
  readonly late?: readonly LateUsage[];
  /** every price table by version (default PRICE_TABLES): a line's unit prices are its calls' table's */
  readonly priceTables?: Readonly<Record<string, PriceTable>>;
}

/** The invoice id of a workspace's period: the same period always names the same invoice. */
export function invoiceId(org: string, ws: string, label: string): string {
  return `inv-${org}.${ws}-${label}`;
}

/** ⌊amount × part / whole⌋, exact (BigInt). */
export function prorate(amount: number, part: number, whole: number): number {
  if (amount === 0 || whole <= 0) return 0;
  return Number((BigInt(amount) * BigInt(Math.max(0, part))) / BigInt(whole));
}

const zero = { calls: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };

function usageLine(
  u: UsageGroup,
  plan: Plan,
  tables: Readonly<Record<string, PriceTable>>,
  note: string,
): InvoiceLine {
  const price = priceOf(u.costMicros, plan.markup);
  const table = tables[u.priceTable];
  const unit = table?.models[`${u.provider}/${u.model}`];
  return {
    kind: 'usage',
    description: `${u.provider}/${u.model} · ${u.agent}${note}`,
    provider: u.provider,
    model: u.model,
    agent: u.agent,
    calls: u.calls,
    inputTokens: u.inputTokens,
    outputTokens: u.outputTokens,
    cacheReadTokens: u.cacheReadTokens,
    cacheWriteTokens: u.cacheWriteTokens,
    ...(unit && table
      ? {
          unitPrices: {
            input: unit.input,
            output: unit.output,
            cacheRead: unit.cacheRead,
            cacheWrite: unit.cacheWrite,
          },
          priceTable: table.version,
        }
      : {}),
    costMicros: u.costMicros,
    priceMicros: price,
    marginMicros: price - u.costMicros,
  };
}

const DAY_MS = 86_400_000;
const share = (ms: number, whole: number) =>
  ms === whole ? 'whole period' : `${(ms / DAY_MS).toFixed(2)} of ${(whole / DAY_MS).toFixed(2)} days`;

/** The invoice of `input`: see the module comment for every sum and rounding. */
export function buildInvoice(input: InvoiceInput): Invoice {
  const whole = input.end - input.start;
  const several = input.segments.length > 1;
  const tables = input.priceTables ?? PRICE_TABLES;
  const lines: InvoiceLine[] = [];
  let usagePrice = 0;
  for (const s of input.segments) {
    const planNote = several ? ` (plan ${s.plan.name})` : '';
    // calls priced with several tables: each line names its table
    const versions = new Set(s.usage.map((u) => u.priceTable));
    for (const u of s.usage) {
      const note = `${planNote}${versions.size > 1 ? ` (prices ${u.priceTable})` : ''}`;
      const line = usageLine(u, s.plan, tables, note);
      usagePrice += line.priceMicros;
      lines.push(line);
    }
  }
  for (const s of input.segments) {
    const fee = prorate(s.plan.feeMicros ?? 0, s.to - s.from, whole);
    if (fee > 0)
      lines.push({
        kind: 'plan',
        description: `plan ${s.plan.name} (${share(s.to - s.from, whole)})`,
        ...zero,
        costMicros: 0,
        priceMicros: fee,
        marginMicros: fee,
      });
  }
  let creditLeft = usagePrice;
  for (const s of input.segments) {
    const included = prorate(s.plan.includedCreditsMicros ?? 0, s.to - s.from, whole);
    const credit = Math.min(included, creditLeft);
    creditLeft -= credit;
    if (credit > 0)
      lines.push({
        kind: 'credit',
        description: `credits included in plan ${s.plan.name} (${share(s.to - s.from, whole)}; ${included} µ$ available)`,
        ...zero,
        costMicros: 0,
        priceMicros: -credit,
        marginMicros: -credit,
      });
  }
  for (const l of input.late ?? [])
    for (const u of l.usage) {
      const line = usageLine(u, { name: l.period, markup: l.markup }, tables, '');
      lines.push({
        ...line,
        kind: 'adjustment',
        description: `late usage from ${l.period}: ${line.description}`,
        latePeriod: l.period,
      });
    }
  for (const a of input.adjustments)
    lines.push({
      kind: 'adjustment',
      description: a.reason,
      ...zero,
      costMicros: 0,
      priceMicros: a.amountMicros,
      marginMicros: a.amountMicros,
    });

  let costMicros = 0;
  let priceMicros = 0;
  let creditsMicros = 0;
  for (const l of lines) {
    costMicros += l.costMicros;
    if (l.kind === 'usage' || l.kind === 'plan') priceMicros += l.priceMicros;
    else creditsMicros += l.priceMicros;
  }
  const last = input.segments[input.segments.length - 1];
  return {
    id: invoiceId(input.org, input.ws, input.label),
    org: input.org,
    ws: input.ws,
    period: {
      label: input.label,
      start: new Date(input.start).toISOString(),
      end: new Date(input.end).toISOString(),
      timeZone: input.timeZone,
    },
    plan: { name: last?.plan.name ?? 'none', markup: last?.plan.markup ?? 0 },
    issuedAt: new Date(input.issuedAt).toISOString(),
    currency: 'USD',
    unit: 'micros',
    lines,
    totals: {
      costMicros,
      priceMicros,
      marginMicros: priceMicros + creditsMicros - costMicros,
      creditsMicros,
      dueMicros: Math.max(0, priceMicros + creditsMicros),
    },
  };
}
