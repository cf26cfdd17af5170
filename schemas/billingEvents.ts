/**
 * Domain events of the workspace's `billing` actor (actors/billing.machine.ts). The gateway folds
 * them into its invoice book (gateway/invoiceBook.ts): `invoice.issued` carries the whole immutable
 * invoice, `invoice.delivery` each later change of its delivery (pushed, paid, failed).
 */
import { Type } from '@sinclair/typebox';
import { eventSchema } from './events.js';
import { Invoice, InvoiceDelivery } from './invoice.js';
import { PeriodUnitSchema } from './billingCommands.js';

const Instant = Type.Integer({ description: 'epoch ms' });

export const BillingEvents = {
  'billing.configured': eventSchema(
    'billing.configured',
    {
      period: PeriodUnitSchema,
      timeZone: Type.String(),
      graceMs: Type.Integer({ minimum: 0 }),
      /** null: the plan the node's configuration gives the org */
      plan: Type.Union([Type.String(), Type.Null()]),
      /** the period being accumulated now (the next one the schedule issues) */
      current: Type.Object(
        { label: Type.String(), start: Instant, end: Instant },
        { additionalProperties: false },
      ),
    },
    'the billing schedule started or changed (period, zone, grace, plan); current: the open period',
  ),
  'invoice.issued': eventSchema(
    'invoice.issued',
    { invoice: Invoice },
    'an invoice was issued for a closed period (immutable; the same period always yields the same invoice)',
  ),
  'invoice.delivery': eventSchema(
    'invoice.delivery',
    { invoiceId: Type.String(), delivery: InvoiceDelivery, at: Instant },
    "the invoice's delivery changed: pushed (sent / not_sent) or a payment reported (paid / failed)",
  ),
  'billing.refused': eventSchema(
    'billing.refused',
    { command: Type.String(), code: Type.String(), reason: Type.String() },
    'a billing command was refused, nothing changed: MOE_ERR_PERIOD_OPEN (invoice.issue for a period that has not ended), MOE_ERR_PERIOD_INVALID (a label that names no period), MOE_ERR_TIME_ZONE_UNKNOWN (billing.configure)',
  ),
  'invoice.failed': eventSchema(
    'invoice.failed',
    { label: Type.String(), code: Type.String(), message: Type.String() },
    'issuing the invoice of a period failed after its retries; invoice.issue tries again',
  ),
};
