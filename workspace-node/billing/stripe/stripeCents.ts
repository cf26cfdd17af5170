/**
 * From an issued invoice's µ$ lines to the integer cents Stripe bills. Rounding rule (documented in
 * docs/billing.md, "Payments (Stripe)"): the amount due is rounded once, half up, to whole cents
 * (1 cent = 10,000 µ$); the lines are then given whole cents that sum to exactly that total, by the
 * largest-remainder method: each line gets its amount rounded down, and the cents left over go one
 * each to the lines with the largest remainders (ties: earlier line first). So no line is off by a
 * cent or more from its exact amount, and the Stripe invoice's total is the invoice's due, rounded.
 *
 * The invoice's due is price plus credits but never below zero; when the credits exceed the price
 * the clamp is a line of its own ("credits beyond the amount due"), so the lines always sum to the
 * due. Stripe takes at most 250 invoice items on an invoice: past {@link MAX_STRIPE_ITEMS} lines,
 * the smallest are folded into one "other lines" item (their sum, exact in µ$ before rounding).
 */
import type { Invoice, InvoiceLine } from '../../../schemas/index.js';

export const MICROS_PER_CENT = 10_000;
/** Stripe's limit of invoice items per invoice */
export const MAX_STRIPE_ITEMS = 250;

/** One Stripe invoice item to create: whole cents, with where it came from. */
export interface StripeLine {
  /** stable position: the idempotency key and the `moe_line` metadata of its invoice item */
  readonly index: number;
  readonly description: string;
  readonly micros: number;
  readonly cents: number;
  readonly metadata: Record<string, string>;
}

/** `micros` rounded half up to whole cents (half away from zero for negatives). */
export function roundMicrosToCents(micros: number): number {
  const sign = micros < 0 ? -1 : 1;
  return sign * Math.floor((Math.abs(micros) + MICROS_PER_CENT / 2) / MICROS_PER_CENT);
}

/**
 * Whole cents for each amount, summing to exactly `totalCents`, by the largest-remainder method.
 * `totalCents` must be within [Σ floor, Σ floor + n] (true for the rounded sum of the amounts).
 */
export function apportionCents(micros: readonly number[], totalCents: number): number[] {
  const floors = micros.map((m) => Math.floor(m / MICROS_PER_CENT));
  let left = totalCents - floors.reduce((a, b) => a + b, 0);
  if (left < 0 || left > micros.length)
    throw new RangeError(`cannot apportion ${totalCents} cents over ${micros.length} lines`);
  const byRemainder = micros
    .map((m, i) => ({ i, rest: m - floors[i]! * MICROS_PER_CENT }))
    .sort((a, b) => b.rest - a.rest || a.i - b.i);
  const cents = [...floors];
  for (const { i } of byRemainder) {
    if (left === 0) break;
    cents[i]! += 1;
    left -= 1;
  }
  return cents;
}

function lineMetadata(line: InvoiceLine, index: number): Record<string, string> {
  const meta: Record<string, string> = {
    moe_invoice_line: String(index),
    moe_kind: line.kind,
    moe_price_micros: String(line.priceMicros),
    moe_calls: String(line.calls),
  };
  if (line.provider) meta.moe_provider = line.provider;
  if (line.model) meta.moe_model = line.model;
  if (line.agent) meta.moe_agent = line.agent;
  if (line.priceTable) meta.moe_price_table = line.priceTable;
  return meta;
}

/** The invoice's lines as Stripe invoice items, in whole cents summing to the rounded amount due. */
export function stripeLines(invoice: Invoice): StripeLine[] {
  type Draft = Omit<StripeLine, 'cents' | 'index'>;
  let drafts: Draft[] = invoice.lines.map((line, i) => ({
    description: line.description,
    micros: line.priceMicros,
    metadata: lineMetadata(line, i),
  }));
  const sum = drafts.reduce((a, d) => a + d.micros, 0);
  if (sum !== invoice.totals.dueMicros)
    drafts.push({
      description: 'Credits beyond the amount due (not carried over)',
      micros: invoice.totals.dueMicros - sum,
      metadata: { moe_kind: 'adjustment' },
    });
  if (drafts.length > MAX_STRIPE_ITEMS) {
    // keep the largest lines as they are, fold the rest into one
    const order = drafts
      .map((d, i) => i)
      .sort((a, b) => Math.abs(drafts[b]!.micros) - Math.abs(drafts[a]!.micros) || a - b);
    const kept = new Set(order.slice(0, MAX_STRIPE_ITEMS - 1));
    const folded = drafts.filter((_, i) => !kept.has(i));
    drafts = drafts.filter((_, i) => kept.has(i));
    drafts.push({
      description: `Other lines (${folded.length})`,
      micros: folded.reduce((a, d) => a + d.micros, 0),
      metadata: { moe_kind: 'folded', moe_folded_lines: String(folded.length) },
    });
  }
  const cents = apportionCents(
    drafts.map((d) => d.micros),
    roundMicrosToCents(invoice.totals.dueMicros),
  );
  return drafts.map((d, index) => ({
    ...d,
    index,
    cents: cents[index]!,
    metadata: { ...d.metadata, moe_line: String(index) },
  }));
}
