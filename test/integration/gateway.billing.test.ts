/**
 * Billing over REST (issue 12 item 2) on a real nats-server, a real workspace-node and the gateway:
 * a new workspace's billing actor starts its schedule; `POST /api/workspaces/:id/invoices` issues
 * the last closed month from the workspace's `calls` table (rows written straight into its
 * metrics.db, dated last month, since calls made now belong to the open period); the invoice is
 * served as JSON and CSV, listed, pushed (`not_sent` without a payment provider), issued once
 * however often it is asked; the current period so far comes from the hosting node.
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastClosedPeriod } from '../../actors/index.js';
import type { Invoice } from '../../schemas/index.js';
import { eventually } from '../harness/index.js';
import { reapAll, runMoe } from './cli.kit.js';
import { call, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

let stack: Stack;
let owner: Record<string, string>;
const ids = { org: '', ws: '' };
const closed = lastClosedPeriod(Date.now(), 'month', 'UTC');

beforeAll(async () => {
  stack = await startStack();
  owner = (await registerAndLogin(stack.gw, 'owner')).auth;
  ids.org = (await call<{ id: string }>(stack.gw, owner, 'POST', '/api/orgs', { name: 'B' })).body.id;
  ids.ws = (
    await call<{ id: string }>(stack.gw, owner, 'POST', '/api/workspaces', { org: ids.org, name: 'w' })
  ).body.id;
  await stack.node!.waitForWorkspace(ids.org, ids.ws, 30_000);
  // calls of last month (and one of this month), as the projection writes them
  const db = new Database(join(stack.dataDir, 'workspaces', ids.org, ids.ws, 'db', 'metrics.db'));
  const insert = db.prepare(
    `INSERT INTO calls (seq, turn, actor, session, provider, model, input_tokens, output_tokens,
       cache_read_tokens, cache_write_tokens, at, effect_id, cost_micros, price_micros, markup)
     VALUES (?, 0, ?, 's', 'anthropic', 'claude-sonnet-4-5', ?, ?, ?, ?, ?, 'e', ?, ?, 5)`,
  );
  const actor = (a: string) => `${ids.org}.${ids.ws}.agent.${a}`;
  insert.run(1_000_001, actor('a1'), 1000, 500, 2000, 1000, closed.start, 14_850, 74_250);
  insert.run(1_000_002, actor('a1'), 7, 0, 0, 0, closed.end - 1, 21, 105);
  insert.run(1_000_003, actor('a2'), 1_000_000, 0, 0, 0, closed.start + 86_400_000, 3_000_000, 15_000_000);
  insert.run(1_000_004, actor('a2'), 1_000_000, 0, 0, 0, Date.now() - 1, 3_000_000, 15_000_000);
  db.close();
}, 90_000);
afterAll(async () => {
  await reapAll([]);
  await stack?.stop();
});

interface BillingView {
  started: boolean;
  current: { totals: Invoice['totals'] | null };
  plan: { name: string | null; markup: number | null };
  [k: string]: unknown;
}

const invoiceId = () => `inv-${ids.org}.${ids.ws}-${closed.label}`;

describe('billing and invoices over REST', () => {
  it('shows the schedule started on creation and the current period so far from the node', async () => {
    const r = await eventually(
      async () => {
        const b = await call<BillingView>(stack.gw, owner, 'GET', `/api/workspaces/${ids.ws}/billing`);
        return b.body.started === true && b.body.current.totals !== null ? b : undefined;
      },
      { timeoutMs: 30_000, what: 'the billing actor started and the node answering drafts' },
    );
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      period: 'month',
      timeZone: 'UTC',
      unit: 'micros',
      budget: { scope: 'workspace', id: ids.ws, budget: null },
    });
    // a budget set on the workspace shows in its billing view
    const put = await call(stack.gw, owner, 'PUT', `/api/workspaces/${ids.ws}/budget`, {
      limitMicros: 50_000_000,
    });
    expect(put.status).toBe(200);
    const withBudget = await call<BillingView>(stack.gw, owner, 'GET', `/api/workspaces/${ids.ws}/billing`);
    expect(withBudget.body.budget).toMatchObject({
      scope: 'workspace',
      budget: { limitMicros: 50_000_000, period: 'month', thresholds: [50, 80, 100] },
    });
    // this month so far: the one call of this month, priced with the default plan (standard, 5×)
    expect(r.body.current.totals).toEqual({
      costMicros: 3_000_000,
      priceMicros: 15_000_000,
      marginMicros: 12_000_000,
      creditsMicros: 0,
      dueMicros: 15_000_000,
    });
    expect(r.body.plan).toEqual({ name: 'standard', markup: 5 });
  });

  it('issues the last closed month on demand, exactly, once', async () => {
    const post = await call<Record<string, unknown>>(
      stack.gw,
      owner,
      'POST',
      `/api/workspaces/${ids.ws}/invoices`,
      {},
    );
    expect(post.status, JSON.stringify(post.body)).toBe(202);
    expect(post.body.invoice).toBe(invoiceId());
    const got = await eventually(
      async () => {
        const g = await call<Invoice & { delivery: { status: string } }>(
          stack.gw,
          owner,
          'GET',
          `/api/invoices/${invoiceId()}`,
        );
        return g.status === 200 && g.body.delivery ? g : undefined;
      },
      { timeoutMs: 30_000, what: 'the issued invoice in the gateway' },
    );
    const inv = got.body;
    expect(inv.period).toMatchObject({ label: closed.label, timeZone: 'UTC' });
    expect(inv.lines.map((l) => [l.agent, l.calls, l.costMicros, l.priceMicros])).toEqual([
      ['a1', 2, 14_871, 74_355],
      ['a2', 1, 3_000_000, 15_000_000],
    ]);
    expect(inv.lines[0]).toMatchObject({ inputTokens: 1007, cacheReadTokens: 2000, cacheWriteTokens: 1000 });
    expect(inv.totals).toEqual({
      costMicros: 3_014_871,
      priceMicros: 15_074_355,
      marginMicros: 12_059_484,
      creditsMicros: 0,
      dueMicros: 15_074_355,
    });
    await eventually(
      async () => {
        const g = await call<{ delivery: { status: string; reason?: string } }>(
          stack.gw,
          owner,
          'GET',
          `/api/invoices/${invoiceId()}`,
        );
        return g.body.delivery.reason !== undefined ? true : undefined;
      },
      { what: 'the invoice.delivery of the default pusher' },
    );

    // asked again: already issued, nothing new
    const again = await call<Record<string, unknown>>(
      stack.gw,
      owner,
      'POST',
      `/api/workspaces/${ids.ws}/invoices`,
      { label: closed.label },
    );
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ invoice: invoiceId(), issued: true });
    const list = await call<{ invoices: Array<{ id: string; delivery: { status: string } }> }>(
      stack.gw,
      owner,
      'GET',
      `/api/workspaces/${ids.ws}/invoices`,
    );
    expect(list.body.invoices.map((i) => i.id)).toEqual([invoiceId()]);
    expect(list.body.invoices[0]!.delivery.status).toBe('not_sent');
    const b = await call<{ lastInvoices: Array<{ id: string }> }>(
      stack.gw,
      owner,
      'GET',
      `/api/workspaces/${ids.ws}/billing`,
    );
    expect(b.body.lastInvoices.map((i) => i.id)).toEqual([invoiceId()]);
  });

  it('records a payment reported by the payment webhook (invoice.payment) as the delivery', async () => {
    await stack.gw.ctx.bus.publish(
      { org: ids.org, ws: ids.ws, kind: 'billing', id: 'billing' },
      'invoice.payment',
      { invoiceId: invoiceId(), status: 'paid', provider: 'stripe', externalId: 'in_123' },
      { id: 'pay-1', session: 'billing' },
    );
    await eventually(
      async () => {
        const g = await call<{ delivery: { status: string; externalId?: string } }>(
          stack.gw,
          owner,
          'GET',
          `/api/invoices/${invoiceId()}`,
        );
        return g.body.delivery.status === 'paid' && g.body.delivery.externalId === 'in_123'
          ? true
          : undefined;
      },
      { what: 'the paid delivery' },
    );
  });

  it('exports the invoice as CSV, one row per line and a total', async () => {
    const res = await stack.gw.app.inject({
      method: 'GET',
      url: `/api/invoices/${invoiceId()}?format=csv`,
      headers: owner,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    const rows = res.body.trimEnd().split('\r\n');
    expect(rows).toHaveLength(4);
    expect(rows[0]!.startsWith('invoice,period,kind,description')).toBe(true);
    expect(rows[1]!.endsWith(',14871,74355,59484')).toBe(true);
    expect(rows[3]!.endsWith(',3014871,15074355,12059484')).toBe(true);
    const accept = await stack.gw.app.inject({
      method: 'GET',
      url: `/api/invoices/${invoiceId()}`,
      headers: { ...owner, accept: 'text/csv' },
    });
    expect(accept.body).toBe(res.body);
  });

  it('moe invoices lists the invoice, shows its lines and exports its CSV from a listening gateway', async () => {
    await stack.gw.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = stack.gw.app.server.address() as AddressInfo;
    const env = { MOE_GATEWAY_URL: `http://127.0.0.1:${port}`, MOE_TOKEN: owner.authorization!.slice(7) };
    // in parallel: each spawn costs seconds on a busy box
    const [list, one, csv, json, hidden, both] = await Promise.all([
      runMoe(['invoices', '--workspace', ids.ws], { env }),
      runMoe(['invoices', '--id', invoiceId()], { env }),
      runMoe(['invoices', '--id', invoiceId(), '--csv'], { env }),
      runMoe(['invoices', '--id', invoiceId(), '--json'], { env }),
      runMoe(['invoices', '--id', 'inv-nope.nope-2020-01'], { env }),
      runMoe(['invoices', '--workspace', ids.ws, '--id', invoiceId()], { env }),
    ]);
    expect(list.code, list.stderr).toBe(0);
    // the issued month: due $15.074355 (price), cost $3.014871, margin $12.059484
    expect(list.stdout).toMatch(
      new RegExp(
        `^${invoiceId().replace(/\./g, '\\.')}\\s+${closed.label}\\s+\\$15\\.074355\\s+\\$15\\.074355\\s+\\$3\\.014871\\s+\\$12\\.059484\\s+\\w+`,
        'm',
      ),
    );
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/^total\s.*\$15\.074355\s+\$3\.014871\s+\$12\.059484$/m);
    expect(csv.code, csv.stderr).toBe(0);
    const direct = await stack.gw.app.inject({
      method: 'GET',
      url: `/api/invoices/${invoiceId()}?format=csv`,
      headers: owner,
    });
    expect(csv.stdout.trimEnd()).toBe(direct.body.trimEnd());
    expect((JSON.parse(json.stdout) as Invoice).totals.dueMicros).toBe(15_074_355);
    expect(hidden.code).toBe(1);
    expect(hidden.stderr).toContain('MOE_ERR_NOT_FOUND');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('MOE_ERR_USAGE');
  }, 60_000);

  it('refuses an open period, an unknown zone and an unknown invoice with typed errors', async () => {
    const open = await call<{ error: { code: string } }>(
      stack.gw,
      owner,
      'POST',
      `/api/workspaces/${ids.ws}/invoices`,
      {
        label: new Date().toISOString().slice(0, 7),
      },
    );
    expect([open.status, open.body.error.code]).toEqual([409, 'MOE_ERR_PERIOD_OPEN']);
    const zone = await call<{ error: { code: string } }>(
      stack.gw,
      owner,
      'PUT',
      `/api/workspaces/${ids.ws}/billing`,
      {
        timeZone: 'Mars/Olympus',
      },
    );
    expect([zone.status, zone.body.error.code]).toEqual([422, 'MOE_ERR_TIME_ZONE_UNKNOWN']);
    const missing = await call<{ error: { code: string } }>(
      stack.gw,
      owner,
      'GET',
      `/api/invoices/inv-nope.nope-2020-01`,
    );
    expect([missing.status, missing.body.error.code]).toEqual([404, 'MOE_ERR_NOT_FOUND']);
  });

  it('takes a time zone for the next periods', async () => {
    const put = await call(stack.gw, owner, 'PUT', `/api/workspaces/${ids.ws}/billing`, {
      timeZone: 'Asia/Tokyo',
    });
    expect(put.status).toBe(202);
    await eventually(
      async () => {
        const b = await call<{ timeZone: string }>(
          stack.gw,
          owner,
          'GET',
          `/api/workspaces/${ids.ws}/billing`,
        );
        return b.body.timeZone === 'Asia/Tokyo' ? true : undefined;
      },
      { what: 'billing.configured with the zone' },
    );
  });
});
