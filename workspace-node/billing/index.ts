/** Invoices (issue 12): the arithmetic, the usage reader, the default pusher, the issue fault hook. */
export {
  buildInvoice,
  invoiceId,
  prorate,
  type InvoiceInput,
  type PricedSegment,
  type UsageGroup,
} from './invoiceLines.js';
export { agentOf, usageReader } from './usageGroups.js';
export { invoiceLedger, type InvoiceLedger, type LateUsage, type LedgerSegment } from './invoiceLedger.js';
export { planHistory, workspacePlan, type PlanHistory } from './planHistory.js';
export { notSentPusher } from './notSentPusher.js';
export { killDuringInvoice } from './invoiceFault.js';
export { draftInvoice, serveBillingDraft, type DraftDeps } from './draftService.js';
