/**
 * The shapes of billed usage shared by the invoice lines (invoiceLines.ts), the ledger of issued
 * invoices (invoiceLedger.ts) and the `calls` table queries (usageGroups.ts): a file of its own so
 * those modules do not import each other.
 */

/**
 * The usage of one (provider, model, agent, price-table version) in one plan segment: sums over the
 * `calls` table.
 */
export interface UsageGroup {
  readonly provider: string;
  readonly model: string;
  readonly agent: string;
  /** the version of the price table the calls were priced with (schemas/priceTable.ts) */
  readonly priceTable: string;
  readonly calls: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
  readonly costMicros: number;
}

/** The calls of an issued period's plan segment that its invoice did not bill. */
export interface LateUsage {
  /** the issued period's label and invoice id */
  readonly period: string;
  readonly invoiceId: string;
  /** the segment's markup when that period was issued */
  readonly markup: number;
  readonly usage: readonly UsageGroup[];
}
