/**
 * `moe webhooks [list|add|remove|deliveries] --org O`: an org's webhook endpoints over the
 * gateway's REST (org admins; `GET/POST /api/orgs/:org/webhooks`, `DELETE
 * /api/orgs/:org/webhooks/:hook`, `GET /api/orgs/:org/webhooks/deliveries`), with a bearer token
 * (--token or MOE_TOKEN). `add --url U [--events budget.alert,actor.escalated]` prints the endpoint's signing
 * secret — the only time it is shown; `deliveries [--id HOOK] [--limit N]` prints the delivery log
 * (newest first, every attempt), of one endpoint with --id. `--json` prints the gateway's answers.
 */
import { errors } from '../errors.js';
import { checkAction, checkName, columns } from '../gatewayArgs.js';
import { gatewayRequest, type GatewayTarget } from '../gatewayClient.js';

export const WEBHOOK_ACTIONS = ['list', 'add', 'remove', 'deliveries'] as const;

export interface WebhooksArgs extends GatewayTarget {
  action: string;
  org?: string;
  url?: string;
  events?: string;
  id?: string;
  limit?: string;
  json: boolean;
}

interface Endpoint {
  id: string;
  org: string;
  url: string;
  events: string[];
  createdAt: number;
  secret?: string;
}
interface Attempt {
  at: number;
  status: number | null;
  error?: string;
  durationMs: number;
}
interface Delivery {
  id: string;
  endpointId: string;
  url: string;
  eventId: string;
  eventType: string;
  status: string;
  createdAt: number;
  attempts: Attempt[];
  nextAttemptAt?: number;
}

/** `flag` ('--org O') given and a name, else MOE_ERR_USAGE. */
function check(flag: string, v: string | undefined, action: string): string {
  if (v === undefined) throw errors.USAGE(`moe webhooks ${action} needs ${flag}`);
  return checkName(flag.split(' ')[0]!, v);
}

const iso = (ms: number) => new Date(ms).toISOString();

export function formatEndpoints(eps: Endpoint[], org: string): string {
  if (eps.length === 0) return `no webhook registered for org ${org}`;
  return columns([
    ['id', 'url', 'events', 'created'],
    ...eps.map((e) => [e.id, e.url, e.events.join(','), iso(e.createdAt)]),
  ]);
}

export function formatDeliveries(ds: Delivery[]): string {
  if (ds.length === 0) return 'no delivery yet';
  const out: string[] = [];
  for (const d of ds) {
    const next =
      d.nextAttemptAt !== undefined && d.status === 'pending' ? `, next attempt ${iso(d.nextAttemptAt)}` : '';
    out.push(
      `${d.id}  ${d.eventType}  ${d.status}  → ${d.url}  (hook ${d.endpointId}, created ${iso(d.createdAt)}${next})`,
    );
    d.attempts.forEach((t, i) =>
      out.push(
        `  #${i + 1} ${iso(t.at)}  ${t.status ?? 'no answer'}  ${t.durationMs}ms${t.error ? `  ${t.error}` : ''}`,
      ),
    );
  }
  return out.join('\n');
}

export async function webhooksCommand(a: WebhooksArgs, print: (s: string) => void): Promise<number> {
  checkAction('webhooks', WEBHOOK_ACTIONS, a.action);
  const org = check('--org O', a.org, a.action);
  const base = `/api/orgs/${org}/webhooks`;
  if (a.action !== 'add' && (a.url ?? a.events) !== undefined)
    throw errors.USAGE('--url and --events go with moe webhooks add');
  if (a.action === 'add') {
    if (a.url === undefined) throw errors.USAGE('moe webhooks add needs --url U');
    const events = a.events?.split(',').map((e) => e.trim());
    const ep = await gatewayRequest<Endpoint>(a, 'POST', base, {
      body: { url: a.url, ...(events ? { events } : {}) },
    });
    print(
      a.json
        ? JSON.stringify(ep, null, 2)
        : [
            `webhook ${ep.id} → ${ep.url} (${ep.events.join(',')})`,
            `secret ${ep.secret}`,
            'keep the secret now: it is shown only once (docs/billing.md: verifying a delivery)',
          ].join('\n'),
    );
    return 0;
  }
  if (a.action === 'remove') {
    const id = check('--id HOOK', a.id, a.action);
    await gatewayRequest(a, 'DELETE', `${base}/${id}`);
    print(a.json ? JSON.stringify({ removed: id }) : `removed webhook ${id}`);
    return 0;
  }
  if (a.action === 'deliveries') {
    let limit = '';
    if (a.limit !== undefined) {
      if (!/^\d{1,4}$/.test(a.limit) || Number(a.limit) < 1 || Number(a.limit) > 1000)
        throw errors.USAGE(`--limit takes 1–1000, got "${a.limit}"`);
      limit = `?limit=${a.limit}`;
    }
    const id = a.id === undefined ? undefined : check('--id HOOK', a.id, a.action);
    const { deliveries } = await gatewayRequest<{ deliveries: Delivery[] }>(
      a,
      'GET',
      `${base}/deliveries${limit}`,
    );
    const mine = id === undefined ? deliveries : deliveries.filter((d) => d.endpointId === id);
    print(a.json ? JSON.stringify({ deliveries: mine }, null, 2) : formatDeliveries(mine));
    return 0;
  }
  if (a.id !== undefined) throw errors.USAGE('--id goes with moe webhooks remove or deliveries');
  const { webhooks } = await gatewayRequest<{ webhooks: Endpoint[] }>(a, 'GET', base);
  print(a.json ? JSON.stringify({ webhooks }, null, 2) : formatEndpoints(webhooks, org));
  return 0;
}
