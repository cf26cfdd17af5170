/**
 * Command data schemas of the workspace's `billing` actor (actors/billing.machine.ts), one per
 * workspace at `moe.cmd.<org>.<ws>.billing.billing`. It issues an invoice per period on a durable
 * timer; these commands start and configure it, issue a closed period on demand, record plan
 * changes and one-off credits, and record what a payment provider said about an invoice.
 */
import { Type, type TSchema } from '@sinclair/typebox';

const obj = <P extends Record<string, TSchema>>(props: P, description: string) =>
  Type.Object(props, { additionalProperties: false, description });

export const PeriodUnitSchema = Type.Union([Type.Literal('month'), Type.Literal('day')]);
/** An IANA zone name (checked with Intl by the gateway and the machine). */
const TimeZoneName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_+/-]+$' });
const PlanName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });
/** `2026-11` (month) or `2026-11-30` (day) */
export const PeriodLabel = Type.String({ pattern: '^\\d{4}-\\d{2}(-\\d{2})?$' });
/** How long after a period ends its invoice is issued: 0 to 1 day (default 5 minutes). */
const GraceMs = Type.Integer({ minimum: 0, maximum: 24 * 3600_000 });

export const BillingCommands = {
  /** Start the schedule (the gateway sends it when it creates the workspace); a no-op once started. */
  'billing.start': obj({}, 'data of billing.start to moe.cmd.<org>.<ws>.billing.billing'),
  /** Change the period (`month` | `day`), its time zone, or the grace before issuing; from the current period's start. */
  'billing.configure': obj(
    {
      period: Type.Optional(PeriodUnitSchema),
      timeZone: Type.Optional(TimeZoneName),
      graceMs: Type.Optional(GraceMs),
    },
    'data of billing.configure',
  ),
  /** The workspace changes plan now (prorated: see docs/billing.md#plans). */
  'billing.plan': obj({ plan: PlanName }, 'data of billing.plan'),
  /** A one-off credit (negative) or charge (positive) on the next invoice, as an `adjustment` line. */
  'billing.adjust': obj(
    {
      amountMicros: Type.Integer({ minimum: -1e12, maximum: 1e12 }),
      reason: Type.String({ minLength: 1, maxLength: 200 }),
    },
    'data of billing.adjust',
  ),
  /** Issue the invoice of a closed period now (default: the last closed one); a no-op when it was issued. */
  'invoice.issue': obj({ label: Type.Optional(PeriodLabel) }, 'data of invoice.issue'),
  /** A payment provider reported on an invoice (the Stripe webhook route sends it). */
  'invoice.payment': obj(
    {
      invoiceId: Type.String({ minLength: 1, maxLength: 200 }),
      status: Type.Union([Type.Literal('paid'), Type.Literal('failed')]),
      provider: Type.Optional(Type.String({ maxLength: 64 })),
      externalId: Type.Optional(Type.String({ maxLength: 200 })),
      reason: Type.Optional(Type.String({ maxLength: 500 })),
    },
    'data of invoice.payment',
  ),
} satisfies Record<string, TSchema>;

/**
 * The hosting node's draft service (workspace-node/billing/draftService.ts): a draft invoice of
 * `{start, end, plan}` (the current period so far), core NATS request/reply.
 */
export function billingDraftSubject(org: string, ws: string): string {
  return `moe.api.${org}.${ws}.billing.draft`;
}
