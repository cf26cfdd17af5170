/**
 * `moe usage --org O [--workspace W] [--from T] [--to T] [--group-by G] [--suggestions] [--json]
 * [--gateway URL] [--token T] [--timeout MS]`: usage analytics from the gateway (its usage
 * projection lives there, folded from the journal), over REST with a bearer token (a login token
 * or an API key): `GET /api/workspaces/:id/usage` with --workspace, else `GET /api/usage?org=…`;
 * with --suggestions, `GET /api/workspaces/:id/usage/suggestions`. Prints a table (money in
 * dollars from the exact integer µ$ the gateway answers), or the answer as JSON with --json.
 * Errors the gateway answers keep their code (MOE_ERR_NOT_FOUND, …); no gateway at the URL is
 * MOE_ERR_GATEWAY_UNREACHABLE.
 */
import { parseSearchTime } from '../../schemas/index.js';
import { errors } from '../errors.js';
import { gatewayGet, type GatewayTarget } from '../gatewayClient.js';

export const USAGE_GROUP_BY = ['provider', 'agent', 'project', 'model', 'day'] as const;

export interface UsageArgs extends GatewayTarget {
  org?: string;
  workspace?: string;
  from?: string;
  to?: string;
  groupBy?: string;
  suggestions: boolean;
  json: boolean;
}

interface Totals {
  calls: number;
  runs: number;
  failed: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: number | null;
  priceMicros: number | null;
  marginMicros: number | null;
}
interface UsageAnswer {
  complete: boolean;
  incomplete?: { code: string; message: string };
  from?: string | null;
  to?: string | null;
  rows: (Totals & { project: string | null; agent: string; provider: string; model: string })[];
  groups?: (Totals & { key: string | null })[];
  total: Totals;
}
interface SuggestionsAnswer {
  suggestions: { kind: string; title: string; estimatedSavingMicros: number; estimatedSavingMs?: number }[];
  estimatedSavingMicros: number;
  notComputed: { kind: string; reason: string }[];
}

const TOKEN_RE = /^[A-Za-z0-9_-]{1,64}$/;

/** The gateway path and query the flags describe, or MOE_ERR_USAGE. */
export function usagePath(a: UsageArgs): string {
  for (const [name, v] of [
    ['--org', a.org],
    ['--workspace', a.workspace],
  ] as const)
    if (v !== undefined && !TOKEN_RE.test(v))
      throw errors.USAGE(`${name} must match [A-Za-z0-9_-]{1,64}, got "${v}"`);
  if (a.org === undefined && a.workspace === undefined)
    throw errors.USAGE('moe usage needs --org O or --workspace W (moe usage --help)');
  const q = new URLSearchParams();
  for (const [flag, v] of [
    ['--from', a.from],
    ['--to', a.to],
  ] as const) {
    if (v === undefined) continue;
    if (parseSearchTime(v) === undefined)
      throw errors.USAGE(`${flag} takes an ISO 8601 time or ms since epoch, got "${v}"`);
    q.set(flag.slice(2), v);
  }
  if (a.suggestions) {
    if (a.workspace === undefined) throw errors.USAGE('--suggestions needs --workspace W');
    if (a.groupBy !== undefined) throw errors.USAGE('--suggestions takes no --group-by');
    return `/api/workspaces/${a.workspace}/usage/suggestions${q.size ? `?${q.toString()}` : ''}`;
  }
  if (a.groupBy !== undefined) {
    if (!(USAGE_GROUP_BY as readonly string[]).includes(a.groupBy))
      throw errors.USAGE(`--group-by takes one of ${USAGE_GROUP_BY.join(', ')}, got "${a.groupBy}"`);
    q.set('groupBy', a.groupBy);
  }
  if (a.workspace !== undefined)
    return `/api/workspaces/${a.workspace}/usage${q.size ? `?${q.toString()}` : ''}`;
  q.set('org', a.org!);
  return `/api/usage?${q.toString()}`;
}

/** µ$ as dollars, exact (6 decimals); '-' when unknown. */
export function dollars(micros: number | null): string {
  if (micros === null) return '-';
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  return `${sign}$${Math.floor(abs / 1e6)}.${String(abs % 1e6).padStart(6, '0')}`;
}

function table(header: string[], lines: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (l: string[]) =>
    l.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [fmt(header), ...lines.map(fmt)].join('\n');
}

const money = (t: Totals) => [
  String(t.calls),
  String(t.runs),
  String(t.inputTokens),
  String(t.outputTokens),
  dollars(t.costMicros),
  dollars(t.priceMicros),
  dollars(t.marginMicros),
];

export function formatUsage(a: UsageAnswer, groupBy: string | undefined): string {
  const header = [
    groupBy ?? 'project/agent/provider/model',
    'calls',
    'runs',
    'in',
    'out',
    'cost',
    'price',
    'margin',
  ];
  const lines = groupBy
    ? (a.groups ?? []).map((g) => [g.key ?? '(no project)', ...money(g)])
    : a.rows.map((r) => [`${r.project ?? '(no project)'}/${r.agent}/${r.provider}/${r.model}`, ...money(r)]);
  lines.push(['total', ...money(a.total)]);
  const out = [table(header, lines)];
  if (!a.complete)
    out.push(
      a.incomplete
        ? `incomplete: ${a.incomplete.code} ${a.incomplete.message}`
        : 'incomplete: still catching up',
    );
  return out.join('\n');
}

export function formatSuggestions(a: SuggestionsAnswer): string {
  const out = a.suggestions.map(
    (s) =>
      `${dollars(s.estimatedSavingMicros).padStart(14)}  [${s.kind}] ${s.title}${s.estimatedSavingMs ? ` (and ${s.estimatedSavingMs} ms of waiting)` : ''}`,
  );
  if (out.length === 0) out.push('no suggestion: nothing to save in this range');
  else out.push(`${dollars(a.estimatedSavingMicros).padStart(14)}  estimated saving in all`);
  for (const n of a.notComputed) out.push(`not computed: ${n.kind}: ${n.reason}`);
  return out.join('\n');
}

export async function usageCommand(a: UsageArgs, print: (s: string) => void): Promise<number> {
  const body = await gatewayGet<UsageAnswer & SuggestionsAnswer>(a, usagePath(a));
  print(
    a.json
      ? JSON.stringify(body, null, 2)
      : a.suggestions
        ? formatSuggestions(body)
        : formatUsage(body, a.groupBy),
  );
  return 0;
}
