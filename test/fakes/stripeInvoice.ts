/**
 * Hand-built issued invoices for the Stripe tests (valid per schemas/invoice.ts): usage lines by
 * provider/model/agent with sub-cent amounts, and a credit line, so the cents rounding is exercised.
 */
import type { Invoice, InvoiceLine } from '../../schemas/index.js';

const usage = (
  provider: string,
  model: string,
  agent: string,
  priceMicros: number,
  calls: number,
): InvoiceLine => ({
  kind: 'usage',
  description: `${provider} ${model} (${agent})`,
  provider,
  model,
  agent,
  calls,
  inputTokens: calls * 1_000,
  outputTokens: calls * 200,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  unitPrices: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  priceTable: '2026-11-01',
  costMicros: Math.floor(priceMicros / 5),
  priceMicros,
  marginMicros: priceMicros - Math.floor(priceMicros / 5),
});

const credit = (priceMicros: number): InvoiceLine => ({
  kind: 'credit',
  description: 'Included credits (plan standard)',
  calls: 0,
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  costMicros: 0,
  priceMicros,
  marginMicros: priceMicros,
});

/** An invoice of `org`/`ws` for `label` (`YYYY-MM`), on plan `plan`, with the given lines. */
export function handBuiltInvoice(
  org: string,
  ws: string,
  label = '2026-11',
  plan = 'standard',
  lines: InvoiceLine[] = [
    usage('anthropic', 'claude-sonnet-4-5', 'coder', 12_345_678, 40),
    usage('openai', 'gpt-5', 'reviewer', 2_500_004, 12),
    usage('anthropic', 'claude-haiku-4-5', 'coder', 333_337, 9),
    credit(-1_000_000),
  ],
): Invoice {
  const [y, m] = label.split('-').map(Number) as [number, number];
  const start = new Date(Date.UTC(y, m - 1, 1)).toISOString();
  const end = new Date(Date.UTC(y, m, 1)).toISOString();
  const sum = (k: 'costMicros' | 'priceMicros' | 'marginMicros', kinds: InvoiceLine['kind'][]) =>
    lines.filter((l) => kinds.includes(l.kind)).reduce((a, l) => a + l[k], 0);
  const priceMicros = sum('priceMicros', ['usage', 'plan']);
  const creditsMicros = sum('priceMicros', ['credit', 'adjustment']);
  return {
    id: `inv-${org}.${ws}-${label}`,
    org,
    ws,
    period: { label, start, end, timeZone: 'UTC' },
    plan: { name: plan, markup: 5 },
    issuedAt: end,
    currency: 'USD',
    unit: 'micros',
    lines,
    totals: {
      costMicros: sum('costMicros', ['usage', 'plan']),
      priceMicros,
      marginMicros: sum('marginMicros', ['usage', 'plan']),
      creditsMicros,
      dueMicros: Math.max(0, priceMicros + creditsMicros),
    },
  };
}

export { usage as usageLine, credit as creditLine };
