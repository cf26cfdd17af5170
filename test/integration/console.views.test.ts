/**
 * The console's views beyond the first page, on a real stack (nats-server, a workspace node whose
 * agents call the provider wire fake through the real Anthropic SDK, a supervisor, the gateway)
 * and a real headless Chromium for what the page renders:
 * - Nodes: turns/s, turn latency p50/p99 and memory, from the node's heartbeat;
 * - Providers: a profile whose primary answers 429 until its breaker opens: the breaker state,
 *   the 429 and error counts and the fallbacks taken, as the node reports them;
 * - Workspaces: sessions and agents by state, with names;
 * - Costs: today and this period, and the inline SVG charts (nothing loaded from elsewhere);
 * - Tasks: a task submitted while its workspace has no node is listed as queued.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishCommand } from '../../actors/kernel/index.js';
import { newTaskId } from '../../gateway/crypto.js';
import { buildGateway, type Gateway } from '../../gateway/index.js';
import type { Overview } from '../../gateway/console/index.js';
import { startSupervisor, type Supervisor } from '../../supervisor/index.js';
import { ensureStreams, startWorkspaceNode, type WorkspaceNode } from '../../workspace-node/index.js';
import {
  fakeError,
  fakeRateLimited,
  fakeReply,
  startFakeProviderServer,
  type FakeProviderServer,
} from '../fakes/providerWire.js';
import { eventually, silent, startNatsServer, tempDir, type NatsServerHandle } from '../harness/index.js';
import { FAST_RETRY } from './agents.kit.js';
import { launchBrowser, OPERATOR_TOKEN, screenshot, textOf } from './console.kit.js';
import { call, JWT_SECRET, registerAndLogin } from './gateway.fixture.js';

let ns: NatsServerHandle;
let nc: NatsConnection;
let dir: { path: string; remove(): void };
let fake: FakeProviderServer;
let node: WorkspaceNode;
let sup: Supervisor;
let gw: Gateway;
let base: string;
let browser: Browser;
let owner: { email: string; auth: { authorization: string } };
let org: string;
let ws: string;
let project: string;

beforeAll(async () => {
  ns = await startNatsServer();
  nc = await connect({ servers: ns.url });
  await ensureStreams(nc, await jetstreamManager(nc));
  dir = tempDir('moe-console-views-');
  fake = await startFakeProviderServer();
  node = await startWorkspaceNode({
    natsUrl: ns.url,
    dataDir: dir.path,
    nodeId: 'views-node-1',
    logger: silent,
    providers: { anthropic: { apiKey: 'test-a', baseURL: fake.anthropicBaseURL } },
    profiles: {
      haiku: { name: 'haiku', provider: 'anthropic', model: 'claude-haiku-4-5', maxTokens: 256 },
      flaky: {
        name: 'flaky',
        provider: 'anthropic',
        model: 'claude-opus-4-1',
        maxTokens: 256,
        fallbacks: [{ provider: 'anthropic', model: 'claude-sonnet-5-5' }],
      },
    },
    routerRetry: FAST_RETRY,
  });
  sup = await startSupervisor({
    nc,
    id: 'sup-views',
    port: 0,
    logger: silent,
    operatorToken: OPERATOR_TOKEN,
  });
  const many = { limit: 1_000_000, windowMs: 60_000 };
  gw = await buildGateway({
    nc,
    jwtSecret: JWT_SECRET,
    logger: false,
    operatorToken: OPERATOR_TOKEN,
    supervisorUrl: sup.url!,
    consoleSeriesMs: 500,
    rateLimits: { perUser: many, perOrg: many, perIp: many },
  });
  base = await gw.app.listen({ port: 0, host: '127.0.0.1' });
  owner = await registerAndLogin(gw, 'views-owner');
  org = (await call<{ id: string }>(gw, owner.auth, 'POST', '/api/orgs', { name: 'Views Org' })).body.id;
  ws = (await call<{ id: string }>(gw, owner.auth, 'POST', '/api/workspaces', { org, name: 'Foundry' })).body
    .id;
  project = (
    await call<{ id: string }>(gw, owner.auth, 'POST', `/api/workspaces/${ws}/projects`, { name: 'Kiln' })
  ).body.id;
  const cfg = await call(gw, owner.auth, 'PUT', `/api/projects/${project}/agent-config`, {
    agents: [
      { name: 'quick', profile: 'haiku' },
      { name: 'careful', profile: 'haiku', approval: ['list_files'] },
      { name: 'flaky', profile: 'flaky' },
    ],
  });
  expect(cfg.status).toBe(200);
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gw?.close();
  await sup?.stop();
  await node?.stop();
  await nc?.close();
  await ns?.stop();
  await fake?.close();
  dir?.remove();
});

const overview = async (auth: Record<string, string> = { authorization: `Bearer ${OPERATOR_TOKEN}` }) => {
  const res = await gw.app.inject({ method: 'GET', url: '/console/api/overview', headers: auth });
  expect(res.statusCode).toBe(200);
  return res.json<Overview>();
};

const submit = async (agent: string, prompt: string) => {
  const r = await call<{ id: string }>(gw, owner.auth, 'POST', `/api/projects/${project}/tasks`, {
    prompt,
    agent,
  });
  expect(r.status).toBe(202);
  return r.body.id;
};

const phaseOf = async (id: string) => {
  const o = await overview();
  return [...o.tasks.running, ...o.tasks.waiting, ...o.tasks.recent].find((t) => t.id === id)?.phase;
};

const pageErrors: string[] = [];
const requested: string[] = [];

/** The console page as the operator (its cookie), waiting for the first render. */
async function operatorPage(): Promise<Page> {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  page.on('request', (req) => requested.push(req.url()));
  await page.setCookie({ name: 'moe_console', value: OPERATOR_TOKEN, url: `${base}/console` });
  await page.goto(`${base}/console`);
  await page.waitForSelector('#who:not(:empty)');
  expect(pageErrors).toEqual([]);
  return page;
}

describe('console views', () => {
  it('Workspaces: sessions with their leases, agents by state (waiting for approval, failed), by name', async () => {
    const opened = await call<{ id: string }>(gw, owner.auth, 'POST', `/api/workspaces/${ws}/sessions`, {
      title: 'Night shift',
    });
    expect(opened.status).toBeLessThan(300);
    fake.enqueue(
      'anthropic',
      fakeReply({ text: 'Looking.', toolCalls: [{ name: 'list_files', input: { path: '.' } }] }),
    );
    const waiting = await submit('careful', 'inventory the kiln');
    await eventually(async () => ((await phaseOf(waiting)) === 'waiting' ? true : undefined), {
      timeoutMs: 20_000,
      intervalMs: 100,
    });
    fake.enqueue('anthropic', fakeError(400, {}, 'bad request'));
    const failing = await submit('quick', 'a request the provider refuses');
    await eventually(async () => ((await phaseOf(failing)) === 'failed' ? true : undefined), {
      timeoutMs: 20_000,
      intervalMs: 100,
    });
    const o = await overview();
    const row = o.workspaces.find((w) => w.workspace === `${org}.${ws}`)!;
    expect(row.wsName).toBe('Foundry');
    expect(row.actors).toEqual({
      sessions: { open: 1, expired: 0, closed: 0 },
      agents: { running: 0, waiting: 1, failed: 1, done: 0 },
      coordinators: { running: 0, waiting: 0, failed: 0, done: 0 },
    });
    const session = o.sessions.find((x) => x.id === opened.body.id)!;
    expect(session).toMatchObject({
      title: 'Night shift',
      userName: owner.email,
      wsName: 'Foundry',
      state: 'open',
    });
    // an 8 h lease
    expect(session.expiresAt! - Date.now()).toBeGreaterThan(7.9 * 3600_000);
    expect(o.tasks.waiting.find((t) => t.id === waiting)?.title).toBe('inventory the kiln');

    const page = await operatorPage();
    const wsRow = `tr[data-ws="${org}.${ws}"]`;
    await page.waitForSelector(`${wsRow} .agents`);
    const agents = await textOf(page, `${wsRow} .agents`);
    expect(agents).toContain('1 waiting for approval');
    expect(agents).toContain('1 failed');
    expect(await textOf(page, `${wsRow} .sessions`)).toBe('1 open');
    const sessionRow = await textOf(page, `tr[data-session="${opened.body.id}"]`);
    expect(sessionRow).toContain('Night shift');
    expect(sessionRow).toContain(owner.email);
    expect(sessionRow).toContain('Views Org / Foundry');
    expect(sessionRow).toMatch(/[78]\.\d h/);
    expect(sessionRow).not.toContain(ws);
    expect(await textOf(page, `tr[data-task="${waiting}"]`)).toContain('inventory the kiln');
    await page.$eval('#workspaces-h', (e: unknown) => (e as { scrollIntoView(): void }).scrollIntoView());
    await screenshot(page, 'workspaces');
    await page.browserContext().close();
  }, 60_000);

  it('Providers: 429s trip the primary breaker; fallbacks taken, rates and latency as the node reports', async () => {
    // primary: 429 twice (both attempts), served by the fallback; a second time; the third 429
    // is the fifth consecutive failure: the breaker opens and the fallback serves at once
    fake.enqueue(
      'anthropic',
      fakeRateLimited('0'),
      fakeRateLimited('0'),
      fakeReply({ text: 'one', usage: { input: 10, output: 5 } }),
      fakeRateLimited('0'),
      fakeRateLimited('0'),
      fakeReply({ text: 'two', usage: { input: 10, output: 5 } }),
      fakeRateLimited('0'),
      fakeReply({ text: 'three', usage: { input: 10, output: 5 } }),
    );
    for (const prompt of ['first', 'second', 'third']) {
      const id = await submit('flaky', prompt);
      await eventually(async () => ((await phaseOf(id)) === 'done' ? true : undefined), {
        timeoutMs: 20_000,
        intervalMs: 100,
      });
    }
    const rows = await eventually(
      async () => {
        const o = await overview();
        const primary = o.providers?.find((p) => p.key === 'anthropic/claude-opus-4-1');
        const fallback = o.providers?.find((p) => p.key === 'anthropic/claude-sonnet-5-5');
        expect(primary?.breaker).toBe('open');
        expect(fallback?.fallbacks).toBe(3);
        return { primary: primary!, fallback: fallback! };
      },
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    expect(rows.primary).toMatchObject({
      attempts: 5,
      errors: 5,
      rateLimited: 5,
      errorRate: 1,
      rateLimitedRate: 1,
    });
    expect(rows.primary.trippedOn).toEqual(['views-node-1']);
    expect(rows.fallback).toMatchObject({ breaker: 'closed', attempts: 3, errors: 0, rateLimited: 0 });
    expect(rows.fallback.p50Ms).toBeGreaterThan(0);
    expect(rows.fallback.p99Ms).toBeGreaterThanOrEqual(rows.fallback.p50Ms!);

    const page = await operatorPage();
    await page.waitForSelector('tr[data-provider="anthropic/claude-opus-4-1"][data-breaker="open"]');
    const primaryRow = await textOf(page, 'tr[data-provider="anthropic/claude-opus-4-1"]');
    expect(primaryRow).toContain('5 (100%)');
    await page.$eval('#providers-h', (e: unknown) => (e as { scrollIntoView(): void }).scrollIntoView());
    await screenshot(page, 'providers');
    await page.browserContext().close();
  }, 60_000);

  it('Nodes: turns/s, turn latency p50/p99 and memory from the heartbeat, on the page', async () => {
    const n = await eventually(
      async () => {
        const o = await overview();
        const me = o.nodes.find((x) => x.id === 'views-node-1');
        expect(me?.stats?.turnsPerSec).toBeGreaterThan(0);
        return me!;
      },
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    const s = n.stats!;
    expect(s.turnP50Ms).toBeGreaterThan(0);
    expect(s.turnP99Ms).toBeGreaterThanOrEqual(s.turnP50Ms!);
    expect(s.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(s.heapUsedBytes).toBeGreaterThan(0);
    // the supervisor serves the same figures
    const status = (await (
      await fetch(`${sup.url}/api/status`, { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } })
    ).json()) as { nodes: { id: string; stats: { turnsPerSec: number } | null }[] };
    expect(status.nodes.find((x) => x.id === 'views-node-1')?.stats?.turnsPerSec).toBeGreaterThan(0);

    const page = await operatorPage();
    const row = 'tr[data-node="views-node-1"]';
    await page.waitForSelector(row);
    expect(Number(await textOf(page, `${row} .tps`))).toBeGreaterThan(0);
    expect(await textOf(page, `${row} .p50`)).toMatch(/^[\d.]+ ms$/);
    expect(await textOf(page, `${row} .p99`)).toMatch(/^[\d.]+ ms$/);
    expect(await textOf(page, `${row} .mem`)).toMatch(/^\d+ MiB$/);
    await screenshot(page, 'nodes');
    await page.browserContext().close();
  }, 30_000);

  it('Costs: today and this period, and throughput / latency / cost charts drawn as inline SVG', async () => {
    fake.enqueue('anthropic', fakeReply({ text: 'Fired.', usage: { input: 1000, output: 200 } }));
    const id = await submit('quick', 'fire the kiln');
    await eventually(async () => ((await phaseOf(id)) === 'done' ? true : undefined), {
      timeoutMs: 20_000,
      intervalMs: 100,
    });
    // claude-haiku-4-5 at $1 / $5 per MTok: 1000·1 + 200·5 = 2000 µ$, in one interval of the chart
    const o = await eventually(
      async () => {
        const x = await overview();
        return x.charts.cost.some(([, v]) => v === 2000) ? x : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    const c = o.costs;
    expect(c.today.day).toBe(new Date().toISOString().slice(0, 10));
    expect(c.period.month).toBe(c.today.day.slice(0, 7));
    expect(c.total.costMicros).toBeGreaterThanOrEqual(2000);
    // everything ran today: today, the period and the total agree, per org as well
    expect(c.today.costMicros).toBe(c.total.costMicros);
    expect(c.period.costMicros).toBe(c.total.costMicros);
    const byOrg = c.byOrg.find((r) => r.key === org)!;
    expect(byOrg.today.costMicros).toBe(byOrg.costMicros);
    expect(
      c.byModel.find((r) => r.key === 'anthropic/claude-haiku-4-5')?.today.costMicros,
    ).toBeGreaterThanOrEqual(2000);
    expect(o.charts.intervalMs).toBe(500);
    expect(o.charts.throughput!.some(([, v]) => (v ?? 0) > 0)).toBe(true);
    expect(o.charts.latencyP99!.some(([, v]) => (v ?? 0) > 0)).toBe(true);

    requested.length = 0;
    const page = await operatorPage();
    await page.waitForSelector('#chart-cost svg path');
    for (const idOf of ['#chart-throughput', '#chart-latency', '#chart-cost'])
      expect(
        await page.$eval(`${idOf} svg path`, (e: unknown) =>
          (e as { getAttribute(n: string): string | null }).getAttribute('d'),
        ),
      ).toMatch(/^M[\d.]+ [\d.]+/);
    expect(await textOf(page, '#cost-today')).toBe(`$${(c.today.costMicros / 1e6).toFixed(4)}`);
    expect(await textOf(page, '#cost-period')).toBe(`$${(c.period.costMicros / 1e6).toFixed(4)}`);
    // nothing is loaded from anywhere but the gateway
    expect(requested.length).toBeGreaterThan(0);
    for (const url of requested) expect(url.startsWith(base)).toBe(true);
    await page.$eval('#costs-h', (e: unknown) => (e as { scrollIntoView(): void }).scrollIntoView());
    await screenshot(page, 'costs');
    await page.browserContext().close();
  }, 60_000);

  it('API keys: one listed in operatorKeys is a platform operator; an ordinary org key cannot reach operator views', async () => {
    const key = async (name: string, role: string) => {
      const r = await call<{ id: string; key: string }>(gw, owner.auth, 'POST', `/api/orgs/${org}/api-keys`, {
        name,
        role,
      });
      expect(r.status).toBe(201);
      return r.body;
    };
    const ordinary = await key('ci', 'admin');
    const monitoring = await key('monitoring', 'viewer');
    const other = await registerAndLogin(gw, 'views-other');
    await call(gw, other.auth, 'POST', '/api/orgs', { name: 'Elsewhere Ltd' });
    const bearer = (k: string) => ({ authorization: `Bearer ${k}` });

    // on a gateway without operator keys, neither key is an operator
    for (const k of [ordinary, monitoring]) {
      const o = await overview(bearer(k.key));
      expect(o.viewer.operator).toBe(false);
      expect(o.viewer.orgs.map((x) => x.name)).toEqual(['Views Org']);
      expect(o.streams).toBeNull();
      expect(o.providers).toBeNull();
      expect(o.charts.throughput).toBeNull();
    }
    // nor may an org key read the supervisor
    expect((await fetch(`${sup.url}/api/status`, { headers: bearer(ordinary.key) })).status).toBe(401);

    const gwOps = await buildGateway({
      nc,
      jwtSecret: JWT_SECRET,
      logger: false,
      operatorToken: OPERATOR_TOKEN,
      operatorKeys: [monitoring.id],
      supervisorUrl: sup.url!,
    });
    try {
      const read = async (k: string) => {
        const res = await gwOps.app.inject({
          method: 'GET',
          url: '/console/api/overview',
          headers: bearer(k),
        });
        expect(res.statusCode).toBe(200);
        return res.json<Overview>();
      };
      const ops = await eventually(async () => {
        const o = await read(monitoring.key);
        return o.viewer.orgs.length >= 2 ? o : undefined;
      });
      expect(ops.viewer.operator).toBe(true);
      expect(ops.viewer.name).toContain(monitoring.id);
      expect(ops.viewer.orgs.map((x) => x.name).sort()).toEqual(['Elsewhere Ltd', 'Views Org']);
      expect(ops.streams).not.toBeNull();
      expect(ops.providers).not.toBeNull();
      const plain = await read(ordinary.key);
      expect(plain.viewer.operator).toBe(false);
      expect(plain.streams).toBeNull();
      expect(plain.viewer.orgs.map((x) => x.name)).toEqual(['Views Org']);
    } finally {
      await gwOps.close();
    }
  }, 60_000);

  it('Tasks: a task submitted while no node hosts its workspace is listed as queued, by name', async () => {
    await node.stop(); // the workspace's consumer stays: the command waits in MOE_CMD
    // published as the gateway does (which would then wait for an acceptance no node gives)
    const id = newTaskId(ws, project);
    await publishCommand(
      jetstream(nc),
      { org, ws, kind: 'agent', id },
      { id: 'queued-cmd-1', type: 'task.submit', data: { prompt: 'glaze the pots while nobody is home' } },
    );
    const o = await eventually(
      async () => {
        const x = await overview();
        return x.tasks.queued.some((q) => q.id === id) ? x : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    const q = o.tasks.queued.find((t) => t.id === id)!;
    expect(q).toMatchObject({
      kind: 'agent',
      title: 'glaze the pots while nobody is home',
      orgName: 'Views Org',
      wsName: 'Foundry',
      projectName: 'Kiln',
    });
    expect(q.ageMs).toBeGreaterThanOrEqual(0);
    // applied tasks are never listed as queued
    expect(o.tasks.queued.map((t) => t.id)).toEqual([id]);
    expect([...o.tasks.running, ...o.tasks.waiting, ...o.tasks.recent].some((t) => t.id === id)).toBe(false);

    const page = await operatorPage();
    await page.waitForSelector(`tr[data-queued="${id}"]`);
    const row = await textOf(page, `tr[data-queued="${id}"]`);
    expect(row).toContain('glaze the pots while nobody is home');
    expect(row).toContain('Views Org / Foundry / Kiln');
    await page.$eval('#tasks-h', (e: unknown) => (e as { scrollIntoView(): void }).scrollIntoView());
    await screenshot(page, 'tasks-queued');
    await page.browserContext().close();
  }, 60_000);
});
