/**
 * `moe budgets` and `moe webhooks` (dist/cli/moe.js as a child process) against a listening
 * gateway on a real nats-server and workspace-node: set, list and remove budgets of an org, a
 * workspace and a project; add a webhook (the secret printed once), list it without the secret,
 * read its delivery log after a budget alert was delivered (a receiver failing once: two attempts),
 * remove it; the gateway's stable error codes (MOE_ERR_NOT_FOUND, MOE_ERR_WEBHOOK_URL,
 * MOE_ERR_VALIDATION) and the CLI's own (MOE_ERR_USAGE) come out on stderr.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyMoeSignature } from '../../examples/webhook-receiver.js';
import {
  createLimiter,
  journalAlertSink,
  kvAlertIndex,
  openLimitsBucket,
} from '../../workspace-node/limits/index.js';
import { eventually } from '../harness/index.js';
import { reapAll, runMoe } from './cli.kit.js';
import { call, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

let stack: Stack;
let env: Record<string, string>;
let server: Server;
const hits: { body: string; sig: string; status: number }[] = [];
let hookUrl = '';
const ids = { org: '', ws: '', project: '' };

beforeAll(async () => {
  stack = await startStack({ gateway: { webhooks: { maxAttempts: 5, backoffMs: 100, timeoutMs: 3000 } } });
  const owner = (await registerAndLogin(stack.gw, 'cli-owner')).auth;
  ids.org = (await call<{ id: string }>(stack.gw, owner, 'POST', '/api/orgs', { name: 'C' })).body.id;
  ids.ws = (
    await call<{ id: string }>(stack.gw, owner, 'POST', '/api/workspaces', { org: ids.org, name: 'w' })
  ).body.id;
  ids.project = (
    await call<{ id: string }>(stack.gw, owner, 'POST', `/api/workspaces/${ids.ws}/projects`, { name: 'p' })
  ).body.id;
  await stack.gw.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = stack.gw.app.server.address() as AddressInfo;
  env = { MOE_GATEWAY_URL: `http://127.0.0.1:${port}`, MOE_TOKEN: owner.authorization.slice(7) };
  // a receiver that fails its first request, then accepts
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const status = hits.length === 0 ? 500 : 204;
      hits.push({ body, sig: String(req.headers['moe-signature']), status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
}, 90_000);

afterAll(async () => {
  await reapAll([]);
  await new Promise((r) => server?.close(r));
  await stack?.stop();
});

describe('moe budgets', () => {
  it('sets, lists and removes budgets of an org, a workspace and a project', async () => {
    const [org, ws, project] = await Promise.all([
      runMoe(['budgets', 'set', '--org', ids.org, '--limit-usd', '100'], { env }),
      runMoe(['budgets', 'set', '--workspace', ids.ws, '--limit-usd', '12.5', '--thresholds', '25,90'], {
        env,
      }),
      runMoe(
        ['budgets', 'set', '--project', ids.project, '--limit-usd', '0.000001', '--period', 'day', '--json'],
        { env },
      ),
    ]);
    expect(org.code, org.stderr).toBe(0);
    expect(org.stdout).toMatch(
      new RegExp(
        `^org\\s+${ids.org}\\s+\\$100\\.000000\\s+month \\d{4}-\\d{2}\\s+\\$0\\.000000\\s+0%\\s+50,80,100`,
        'm',
      ),
    );
    expect(ws.code, ws.stderr).toBe(0);
    expect(ws.stdout).toMatch(/\$12\.500000\s+month .*\s25,90/);
    expect(project.code, project.stderr).toBe(0);
    expect(JSON.parse(project.stdout)).toMatchObject({
      scope: 'project',
      id: ids.project,
      budget: { limitMicros: 1, period: 'day', thresholds: [50, 80, 100] },
    });
    // the gateway holds what the CLI set
    const read = await call(
      stack.gw,
      { authorization: `Bearer ${env.MOE_TOKEN}` },
      'GET',
      `/api/workspaces/${ids.ws}/budget`,
    );
    expect(read.body).toMatchObject({ budget: { limitMicros: 12_500_000, thresholds: [25, 90] } });

    const list = await runMoe(['budgets', 'list', '--org', ids.org, '--json'], { env });
    expect(list.code, list.stderr).toBe(0);
    const views = (
      JSON.parse(list.stdout) as { budgets: { scope: string; id: string; budget: { limitMicros: number } }[] }
    ).budgets;
    expect(views.map((v) => [v.scope, v.id, v.budget.limitMicros])).toEqual([
      ['org', ids.org, 100_000_000],
      ['workspace', ids.ws, 12_500_000],
      ['project', ids.project, 1],
    ]);

    const removed = await runMoe(['budgets', 'remove', '--project', ids.project], { env });
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toMatch(new RegExp(`^project\\s+${ids.project}\\s+\\(none\\)`, 'm'));
    const after = await runMoe(['budgets', '--org', ids.org], { env });
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).not.toContain(ids.project);
    expect(after.stdout).toContain(ids.ws);
  }, 90_000);

  it('refuses bad flags and unknown scopes with stable codes', async () => {
    const [two, usd, unknown, thresholds] = await Promise.all([
      runMoe(['budgets', 'set', '--org', ids.org, '--workspace', ids.ws, '--limit-usd', '1'], { env }),
      runMoe(['budgets', 'set', '--org', ids.org, '--limit-usd', '1.1234567'], { env }),
      runMoe(['budgets', '--workspace', 'nope'], { env }),
      runMoe(['budgets', 'set', '--org', ids.org, '--limit-usd', '1', '--thresholds', '50,x'], { env }),
    ]);
    expect([two.code, usd.code, thresholds.code]).toEqual([2, 2, 2]);
    for (const r of [two, usd, thresholds]) expect(r.stderr).toContain('MOE_ERR_USAGE');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('MOE_ERR_NOT_FOUND');
  }, 60_000);
});

describe('moe webhooks', () => {
  it('adds a webhook (secret once), lists it, shows its delivery log, removes it', async () => {
    const add = await runMoe(['webhooks', 'add', '--org', ids.org, '--url', hookUrl, '--json'], { env });
    expect(add.code, add.stderr).toBe(0);
    const ep = JSON.parse(add.stdout) as { id: string; secret: string; events: string[] };
    expect(ep.secret).toMatch(/^whsec_/);
    // a new endpoint takes every event type by default
    expect(ep.events).toEqual(['budget.alert', 'actor.escalated']);
    const list = await runMoe(['webhooks', 'list', '--org', ids.org], { env });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(
      new RegExp(`^${ep.id}\\s+${hookUrl.replace(/[./]/g, '\\$&')}\\s+budget\\.alert`, 'm'),
    );
    expect(list.stdout).not.toContain(ep.secret);

    // an alert: 7 $ settled on the workspace's 12.5 $ budget crosses 25 %
    const limitsKv = await openLimitsBucket(stack.nc);
    const limiter = createLimiter({
      kv: limitsKv,
      onAlert: journalAlertSink(jetstream(stack.nc)),
      alertIndex: kvAlertIndex(limitsKv, await jetstreamManager(stack.nc)),
    });
    const req = {
      org: ids.org,
      ws: ids.ws,
      project: ids.project,
      provider: 'scripted',
      model: 'm',
      tokens: 1,
    };
    await (
      await limiter.reserve({ ...req, priceMicros: 4_000_000 })
    ).settle({ tokens: 1, priceMicros: 4_000_000 });
    await eventually(() => hits.some((h) => h.status === 204) || undefined, {
      timeoutMs: 30_000,
      what: 'the alert delivered',
    });
    const ok = hits.find((h) => h.status === 204)!;
    expect(verifyMoeSignature(ep.secret, ok.sig, ok.body)).toBe(true);

    const log = await eventually(
      async () => {
        const r = await runMoe(['webhooks', 'deliveries', '--org', ids.org, '--id', ep.id], { env });
        return / delivered /.test(r.stdout) ? r : undefined;
      },
      { timeoutMs: 30_000, what: 'the delivery log showing it delivered' },
    );
    expect(log.code, log.stderr).toBe(0);
    expect(log.stdout).toMatch(/budget\.alert\s+delivered/);
    expect(log.stdout).toMatch(/^ {2}#1 \S+\s+500\s/m);
    expect(log.stdout).toMatch(/^ {2}#2 \S+\s+204\s/m);
    const json = await runMoe(['webhooks', 'deliveries', '--org', ids.org, '--json'], { env });
    const ds = (
      JSON.parse(json.stdout) as { deliveries: { endpointId: string; attempts: { status: number }[] }[] }
    ).deliveries;
    expect(ds.map((d) => [d.endpointId, d.attempts.map((t) => t.status)])).toEqual([[ep.id, [500, 204]]]);

    const [rm, again] = [
      await runMoe(['webhooks', 'remove', '--org', ids.org, '--id', ep.id], { env }),
      await runMoe(['webhooks', 'remove', '--org', ids.org, '--id', ep.id], { env }),
    ];
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.stdout).toContain(`removed webhook ${ep.id}`);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('MOE_ERR_NOT_FOUND');
    const empty = await runMoe(['webhooks', '--org', ids.org], { env });
    expect(empty.stdout).toContain('no webhook registered');
  }, 120_000);

  it('refuses a bad URL, an unknown event type and a missing flag with stable codes', async () => {
    const [url, event, noUrl, noOrg] = await Promise.all([
      runMoe(['webhooks', 'add', '--org', ids.org, '--url', 'ftp://x'], { env }),
      runMoe(['webhooks', 'add', '--org', ids.org, '--url', hookUrl, '--events', 'nope'], { env }),
      runMoe(['webhooks', 'add', '--org', ids.org], { env }),
      runMoe(['webhooks', 'list'], { env }),
    ]);
    expect(url.code).toBe(1);
    expect(url.stderr).toContain('MOE_ERR_WEBHOOK_URL');
    expect(event.code).toBe(1);
    expect(event.stderr).toContain('MOE_ERR_VALIDATION');
    expect([noUrl.code, noOrg.code]).toEqual([2, 2]);
    expect(noUrl.stderr).toContain('MOE_ERR_USAGE');
  }, 60_000);
});
