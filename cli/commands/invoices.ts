/**
 * `moe invoices --workspace W [--json]` lists a workspace's invoices (newest first: period, due,
 * price, cost, margin, delivery); `moe invoices --id INV [--csv | --json]` shows one invoice with its
 * lines, or its CSV export as the gateway serves it. Read from the gateway over REST
 * (`GET /api/workspaces/:id/invoices`, `GET /api/invoices/:id[?format=csv]`) with a bearer token
 * (--token or MOE_TOKEN). Money in dollars from the exact integer µ$ the gateway answers.
 */
import type { Invoice } from '../../schemas/index.js';
import { errors } from '../errors.js';
import { gatewayGet, type GatewayTarget } from '../gatewayClient.js';
import { dollars } from './usage.js';

export interface InvoicesArgs extends GatewayTarget {
  workspace?: string;
  id?: string;
  csv: boolean;
  json: boolean;
}

interface Delivery {
  status: string;
  reason?: string;
}
type InvoiceSummary = Omit<Invoice, 'lines'> & { lineCount: number; delivery: Delivery | null };
interface InvoiceList {
  workspace: string;
  complete: boolean;
  invoices: InvoiceSummary[];
}

const WS_RE = /^[A-Za-z0-9_-]{1,64}$/;
const INVOICE_RE = /^inv-[A-Za-z0-9_.-]{1,200}$/;

/** The gateway path the flags describe, or MOE_ERR_USAGE. */
export function invoicesPath(a: InvoicesArgs): string {
  if ((a.workspace === undefined) === (a.id === undefined))
    throw errors.USAGE('moe invoices needs --workspace W (the list) or --id INV (one invoice), not both');
  if (a.csv && a.json) throw errors.USAGE('--csv and --json: choose one');
  if (a.workspace !== undefined) {
    if (!WS_RE.test(a.workspace))
      throw errors.USAGE(`--workspace must match [A-Za-z0-9_-]{1,64}, got "${a.workspace}"`);
    if (a.csv) throw errors.USAGE('--csv exports one invoice: use it with --id');
    return `/api/workspaces/${a.workspace}/invoices`;
  }
  if (!INVOICE_RE.test(a.id!)) throw errors.USAGE(`--id takes an invoice id (inv-…), got "${a.id}"`);
  return `/api/invoices/${a.id}${a.csv ? '?format=csv' : ''}`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '))
    .join('\n');
}

export function formatInvoiceList(l: InvoiceList): string {
  if (l.invoices.length === 0) return `no invoice issued for ${l.workspace} yet`;
  const rows = [['invoice', 'period', 'due', 'price', 'cost', 'margin', 'delivery']];
  for (const i of l.invoices)
    rows.push([
      i.id,
      i.period.label,
      dollars(i.totals.dueMicros),
      dollars(i.totals.priceMicros),
      dollars(i.totals.costMicros),
      dollars(i.totals.marginMicros),
      i.delivery?.status ?? '-',
    ]);
  return table(rows);
}

export function formatInvoice(i: Invoice & { delivery?: Delivery | null }): string {
  const head = [
    `${i.id}  ${i.org}/${i.ws}  period ${i.period.label} (${i.period.start} – ${i.period.end}, ${i.period.timeZone})`,
    `plan ${i.plan.name} (${i.plan.markup}×), issued ${i.issuedAt}, delivery ${i.delivery?.status ?? '-'}`,
  ];
  const rows = [['line', 'kind', 'calls', 'price', 'cost', 'margin']];
  for (const l of i.lines)
    rows.push([
      l.description,
      l.kind,
      String(l.calls),
      dollars(l.priceMicros),
      dollars(l.costMicros),
      dollars(l.marginMicros),
    ]);
  const t = i.totals;
  rows.push(['total', '', '', dollars(t.priceMicros), dollars(t.costMicros), dollars(t.marginMicros)]);
  return [...head, table(rows), `credits ${dollars(t.creditsMicros)}, due ${dollars(t.dueMicros)}`].join(
    '\n',
  );
}

export async function invoicesCommand(a: InvoicesArgs, print: (s: string) => void): Promise<number> {
  const path = invoicesPath(a);
  if (a.csv) {
    print((await gatewayGet<string>(a, path, 'text')).trimEnd());
    return 0;
  }
  if (a.workspace !== undefined) {
    const list = await gatewayGet<InvoiceList>(a, path);
    print(a.json ? JSON.stringify(list, null, 2) : formatInvoiceList(list));
    return 0;
  }
  const one = await gatewayGet<Invoice & { delivery?: Delivery | null }>(a, path);
  print(a.json ? JSON.stringify(one, null, 2) : formatInvoice(one));
  return 0;
}
