/**
 * `moe budgets [list|set|remove] --org O | --workspace W | --project P`: budgets over the gateway's
 * REST (`GET/PUT/DELETE /api/orgs/:org/budget`, `/api/workspaces/:id/budget`,
 * `/api/projects/:id/budget`), with a bearer token (--token or MOE_TOKEN). `list --org O` shows the
 * org's budget and every budget of its workspaces and their projects that the caller can see;
 * `set … --limit-usd N [--period month|day|total] [--thresholds 50,80,100]` sets one (org admin);
 * `remove` removes one (the period's usage stays counted). Money in dollars from the gateway's
 * exact integer µ$; `--json` prints the gateway's answers.
 */
import { BUDGET_PERIODS } from '../../schemas/index.js';
import { errors } from '../errors.js';
import { checkAction, checkName, columns } from '../gatewayArgs.js';
import { gatewayRequest, type GatewayTarget } from '../gatewayClient.js';
import { dollars } from './usage.js';

export const BUDGET_ACTIONS = ['list', 'set', 'remove'] as const;

export interface BudgetsArgs extends GatewayTarget {
  action: string;
  org?: string;
  workspace?: string;
  project?: string;
  limitUsd?: string;
  period?: string;
  thresholds?: string;
  json: boolean;
}

/** What `GET …/budget` answers (gateway/budgetStore.ts). */
export interface BudgetView {
  scope: 'org' | 'workspace' | 'project';
  org: string;
  id: string;
  unit: 'micros';
  budget: { limitMicros: number; period: string; thresholds: number[] } | null;
  period: string | null;
  usedMicros: number;
  alerted: number[];
}

const USD_RE = /^(\d{1,12})(?:\.(\d{1,6}))?$/;

/** "12.5" → 12_500_000 µ$, exactly (no float), or MOE_ERR_USAGE. */
export function parseUsd(raw: string): number {
  const m = USD_RE.exec(raw);
  if (!m)
    throw errors.USAGE(`--limit-usd takes dollars with at most 6 decimals, e.g. 25 or 12.5, got "${raw}"`);
  return Number(m[1]) * 1_000_000 + Number((m[2] ?? '').padEnd(6, '0'));
}

/** "50,80,100" → [50, 80, 100], or MOE_ERR_USAGE. */
export function parseThresholds(raw: string): number[] {
  const parts = raw.split(',').map((s) => s.trim());
  const out = parts.map((p) => (/^\d{1,4}$/.test(p) ? Number(p) : NaN));
  if (out.length > 10 || out.some((n) => !Number.isInteger(n) || n < 1 || n > 1000))
    throw errors.USAGE(`--thresholds takes up to 10 percentages (1–1000) separated by commas, got "${raw}"`);
  return out;
}

/** The one scope's budget path the flags name, or MOE_ERR_USAGE. */
export function budgetPath(a: BudgetsArgs): string {
  const given = (
    [
      ['org', a.org],
      ['workspace', a.workspace],
      ['project', a.project],
    ] as const
  ).filter(([, v]) => v !== undefined);
  if (given.length !== 1)
    throw errors.USAGE(`moe budgets ${a.action} needs one of --org O, --workspace W or --project P`);
  const [kind, id] = given[0]!;
  checkName(`--${kind}`, id!);
  return kind === 'org' ? `/api/orgs/${id}/budget` : `/api/${kind}s/${id}/budget`;
}

/** The body of `PUT …/budget` from the flags, or MOE_ERR_USAGE. */
export function budgetSetting(a: BudgetsArgs) {
  if (a.limitUsd === undefined) throw errors.USAGE('moe budgets set needs --limit-usd N');
  if (a.period !== undefined && !(BUDGET_PERIODS as readonly string[]).includes(a.period))
    throw errors.USAGE(`--period takes one of ${BUDGET_PERIODS.join(', ')}, got "${a.period}"`);
  return {
    limitMicros: parseUsd(a.limitUsd),
    ...(a.period !== undefined ? { period: a.period } : {}),
    ...(a.thresholds !== undefined ? { thresholds: parseThresholds(a.thresholds) } : {}),
  };
}

function row(v: BudgetView): string[] {
  const b = v.budget;
  const pct = b && b.limitMicros > 0 ? `${Math.floor((v.usedMicros * 100) / b.limitMicros)}%` : '-';
  return [
    v.scope,
    v.id,
    b ? dollars(b.limitMicros) : '(none)',
    b ? `${b.period}${v.period ? ` ${v.period}` : ''}` : '-',
    dollars(v.usedMicros),
    pct,
    b ? b.thresholds.join(',') : '-',
    v.alerted.length ? v.alerted.join(',') : '-',
  ];
}

export function formatBudgets(views: BudgetView[]): string {
  return columns([
    ['scope', 'id', 'limit', 'period', 'used', 'used%', 'thresholds', 'alerted'],
    ...views.map(row),
  ]);
}

/** `list --org O`: the org's budget, then its workspaces' and their projects' (those set). */
async function listOrg(a: BudgetsArgs): Promise<BudgetView[]> {
  const org = a.org!;
  const views = [await gatewayRequest<BudgetView>(a, 'GET', budgetPath(a))];
  const { workspaces } = await gatewayRequest<{ workspaces: { id: string }[] }>(
    a,
    'GET',
    `/api/workspaces?org=${encodeURIComponent(org)}`,
  );
  for (const ws of workspaces) {
    views.push(await gatewayRequest<BudgetView>(a, 'GET', `/api/workspaces/${ws.id}/budget`));
    const { projects } = await gatewayRequest<{ projects: { id: string }[] }>(
      a,
      'GET',
      `/api/workspaces/${ws.id}/projects`,
    );
    for (const p of projects)
      views.push(await gatewayRequest<BudgetView>(a, 'GET', `/api/projects/${p.id}/budget`));
  }
  // the org's own row always; below it only scopes with a budget set
  return views.filter((v, i) => i === 0 || v.budget !== null);
}

export async function budgetsCommand(a: BudgetsArgs, print: (s: string) => void): Promise<number> {
  checkAction('budgets', BUDGET_ACTIONS, a.action);
  const path = budgetPath(a);
  if (a.action !== 'set' && (a.limitUsd ?? a.period ?? a.thresholds) !== undefined)
    throw errors.USAGE('--limit-usd, --period and --thresholds go with moe budgets set');
  let views: BudgetView[];
  if (a.action === 'set')
    views = [await gatewayRequest<BudgetView>(a, 'PUT', path, { body: budgetSetting(a) })];
  else if (a.action === 'remove') views = [await gatewayRequest<BudgetView>(a, 'DELETE', path)];
  else views = a.org !== undefined ? await listOrg(a) : [await gatewayRequest<BudgetView>(a, 'GET', path)];
  if (a.json)
    print(
      JSON.stringify(a.action === 'list' && a.org !== undefined ? { budgets: views } : views[0], null, 2),
    );
  else print(formatBudgets(views));
  return 0;
}
