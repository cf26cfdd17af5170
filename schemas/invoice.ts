/**
 * The shape of an issued invoice, shared by the `billing` actor (which issues it), the gateway's
 * billing routes (which serve and export it) and the payment adapters (which push it, e.g. to
 * Stripe). An issued invoice is immutable; what happens to it afterwards (sent, paid, failed) is
 * its {@link InvoiceDelivery}, a separate record.
 *
 * Money is integer micro-dollars (µ$, `…Micros`); credits and adjustments are lines of their own
 * with negative amounts. Unit prices are the price table's USD per million tokens, with its version.
 */
import { Type, type Static } from '@sinclair/typebox';

const Count = Type.Integer({ minimum: 0 });
const SignedMicros = Type.Integer({ description: 'µ$ (negative for credits)' });

export const InvoiceUnitPrices = Type.Object(
  { input: Type.Number(), output: Type.Number(), cacheRead: Type.Number(), cacheWrite: Type.Number() },
  { additionalProperties: false, description: 'USD per million tokens, from the price table' },
);

export const InvoiceLine = Type.Object(
  {
    kind: Type.Union([
      Type.Literal('usage'),
      Type.Literal('plan'),
      Type.Literal('credit'),
      Type.Literal('adjustment'),
    ]),
    description: Type.String(),
    provider: Type.Optional(Type.String()),
    model: Type.Optional(Type.String()),
    agent: Type.Optional(Type.String()),
    calls: Count,
    inputTokens: Count,
    outputTokens: Count,
    cacheReadTokens: Count,
    cacheWriteTokens: Count,
    unitPrices: Type.Optional(InvoiceUnitPrices),
    priceTable: Type.Optional(Type.String()),
    /** on a late usage adjustment: the label of the issued period whose invoice missed these calls */
    latePeriod: Type.Optional(Type.String()),
    costMicros: SignedMicros,
    priceMicros: SignedMicros,
    marginMicros: SignedMicros,
  },
  { additionalProperties: false },
);
export type InvoiceLine = Static<typeof InvoiceLine>;

export const Invoice = Type.Object(
  {
    /** deterministic: the same workspace and period always name the same invoice */
    id: Type.String(),
    org: Type.String(),
    ws: Type.String(),
    period: Type.Object(
      {
        /** e.g. `2026-11` (monthly) */
        label: Type.String(),
        /** inclusive start, ISO 8601 UTC instant */
        start: Type.String(),
        /** exclusive end, ISO 8601 UTC instant */
        end: Type.String(),
        /** IANA zone the boundaries were computed in (`UTC` unless the org set one) */
        timeZone: Type.String(),
      },
      { additionalProperties: false },
    ),
    plan: Type.Object({ name: Type.String(), markup: Type.Number() }, { additionalProperties: false }),
    issuedAt: Type.String(),
    currency: Type.Literal('USD'),
    unit: Type.Literal('micros'),
    lines: Type.Array(InvoiceLine),
    totals: Type.Object(
      {
        costMicros: SignedMicros,
        priceMicros: SignedMicros,
        marginMicros: SignedMicros,
        creditsMicros: SignedMicros,
        /** what the customer owes: price plus credits/adjustments, never below 0 */
        dueMicros: Count,
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type Invoice = Static<typeof Invoice>;

export const InvoiceDelivery = Type.Object(
  {
    status: Type.Union([
      Type.Literal('not_sent'),
      Type.Literal('sent'),
      Type.Literal('paid'),
      Type.Literal('failed'),
    ]),
    /** who it was pushed to, e.g. `stripe` */
    provider: Type.Optional(Type.String()),
    externalId: Type.Optional(Type.String()),
    url: Type.Optional(Type.String()),
    reason: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type InvoiceDelivery = Static<typeof InvoiceDelivery>;

/** Pushes an issued invoice to a payment provider (workspace-node side; default: `not_sent`). */
export interface InvoicePusher {
  readonly name: string;
  push(invoice: Invoice): Promise<InvoiceDelivery>;
}
