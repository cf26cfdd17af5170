/**
 * The effects the `billing` actor emits (billing.machine.ts): `invoice.issue` (compute the invoice
 * of a closed period from the workspace's `calls` table) and `invoice.push` (hand it to the
 * configured InvoicePusher). Their handlers are in workspace-node/effects/ (invoiceIssue.ts,
 * invoicePush.ts). Everything an invoice depends on is in the request (period bounds, plan history,
 * adjustments, issue time), so a re-drive after a crash computes the same invoice.
 */
import type { Invoice } from '../schemas/index.js';

/** A plan in effect from `from` (epoch ms); `plan: null` is the node's configured plan for the org. */
export type PlanSegment = { readonly from: number; readonly plan: string | null };

/** A one-off credit (negative) or charge (positive), as an `adjustment` line. */
export type Adjustment = { readonly at: number; readonly amountMicros: number; readonly reason: string };

export type InvoiceIssueRequest = {
  readonly id: string;
  readonly kind: 'invoice.issue';
  readonly label: string;
  /** [start, end) in epoch ms */
  readonly start: number;
  readonly end: number;
  readonly timeZone: string;
  /** the issue turn's time: the invoice's `issuedAt` */
  readonly issuedAt: number;
  /** the plans in effect during the period, oldest first (the first one from `start`) */
  readonly plans: readonly PlanSegment[];
  readonly adjustments: readonly Adjustment[];
};

export type InvoicePushRequest = {
  readonly id: string;
  readonly kind: 'invoice.push';
  readonly invoice: Invoice;
};

/** Effects the billing actor emits, on `kind`. */
export type BillingEffectRequest = InvoiceIssueRequest | InvoicePushRequest;
