/**
 * An invoice as CSV (RFC 4180: comma-separated, CRLF, fields quoted when they hold a comma, quote
 * or line break). One row per line item, then a `total` row; money columns in integer µ$ like the
 * JSON, so a spreadsheet sum matches the totals exactly.
 */
import type { Invoice } from '../schemas/index.js';

const COLUMNS = [
  'invoice',
  'period',
  'kind',
  'description',
  'provider',
  'model',
  'agent',
  'calls',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'unit_price_input_usd_per_mtok',
  'unit_price_output_usd_per_mtok',
  'unit_price_cache_read_usd_per_mtok',
  'unit_price_cache_write_usd_per_mtok',
  'price_table',
  'cost_micros',
  'price_micros',
  'margin_micros',
] as const;

function field(v: string | number | undefined): string {
  if (v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function invoiceCsv(invoice: Invoice): string {
  const rows: (string | number | undefined)[][] = [[...COLUMNS]];
  for (const l of invoice.lines)
    rows.push([
      invoice.id,
      invoice.period.label,
      l.kind,
      l.description,
      l.provider,
      l.model,
      l.agent,
      l.calls,
      l.inputTokens,
      l.outputTokens,
      l.cacheReadTokens,
      l.cacheWriteTokens,
      l.unitPrices?.input,
      l.unitPrices?.output,
      l.unitPrices?.cacheRead,
      l.unitPrices?.cacheWrite,
      l.priceTable,
      l.costMicros,
      l.priceMicros,
      l.marginMicros,
    ]);
  const t = invoice.totals;
  const blank = Array<undefined>(13).fill(undefined);
  rows.push([
    invoice.id,
    invoice.period.label,
    'total',
    `due ${t.dueMicros} µ$`,
    ...blank,
    t.costMicros,
    t.priceMicros + t.creditsMicros,
    t.marginMicros,
  ]);
  return rows.map((r) => r.map(field).join(',')).join('\r\n') + '\r\n';
}
