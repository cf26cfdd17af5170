/**
 * The operator's console in a real headless Chromium (puppeteer-core + Debian's chromium), on a
 * real stack: nats-server, a workspace node whose agents call the provider wire fake through the
 * real Anthropic SDK (so calls have a real cost), a supervisor and the gateway. A user signs in
 * through the form; the page shows the node and the workspace by name, a task running and then
 * done with its cost, approves a waiting task, redrives a dead letter; a viewer sees no redrive
 * button and is refused when it posts anyway. Every console route refuses a caller without
 * identity, and an admin of another org gets 404 for this org's task and letter. Screenshots go
 * to test-artifacts/console/.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, type Gateway } from '../../gateway/index.js';
import { STREAMS } from '../../schemas/index.js';
import { startSupervisor, type Supervisor } from '../../supervisor/index.js';
import { ensureStreams, startWorkspaceNode, type WorkspaceNode } from '../../workspace-node/index.js';
import { fakeReply, startFakeProviderServer, type FakeProviderServer } from '../fakes/providerWire.js';
import { eventually, silent, startNatsServer, tempDir, type NatsServerHandle } from '../harness/index.js';
import { FAST_RETRY } from './agents.kit.js';
import {
  clickAcrossUpdate,
  clickIn,
  launchBrowser,
  OPERATOR_TOKEN,
  screenshot,
  textOf,
  texts,
  waitIn,
  watch,
} from './console.kit.js';
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
let viewer: { email: string; auth: { authorization: string } };
let outsider: { auth: { authorization: string } };
let org: string;
let ws: string;
let project: string;
const PASSWORD = 'correct horse battery';

beforeAll(async () => {
  ns = await startNatsServer();
  nc = await connect({ servers: ns.url });
  await ensureStreams(nc, await jetstreamManager(nc));
  dir = tempDir('moe-console-');
  fake = await startFakeProviderServer();
  node = await startWorkspaceNode({
    natsUrl: ns.url,
    dataDir: dir.path,
    nodeId: 'console-node-1',
    logger: silent,
    providers: { anthropic: { apiKey: 'test-a', baseURL: fake.anthropicBaseURL } },
    profiles: { haiku: { name: 'haiku', provider: 'anthropic', model: 'claude-haiku-4-5', maxTokens: 256 } },
    routerRetry: FAST_RETRY,
  });
  sup = await startSupervisor({
    nc,
    id: 'sup-console',
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
    rateLimits: { perUser: many, perOrg: many, perIp: many },
  });
  base = await gw.app.listen({ port: 0, host: '127.0.0.1' });
  owner = await registerAndLogin(gw, 'owner');
  viewer = await registerAndLogin(gw, 'viewer');
  outsider = await registerAndLogin(gw, 'outsider');
  org = (await call<{ id: string }>(gw, owner.auth, 'POST', '/api/orgs', { name: 'Acme Robotics' })).body.id;
  await call(gw, owner.auth, 'POST', `/api/orgs/${org}/members`, { email: viewer.email, role: 'viewer' });
  ws = (await call<{ id: string }>(gw, owner.auth, 'POST', '/api/workspaces', { org, name: 'Payments' })).body
    .id;
  project = (
    await call<{ id: string }>(gw, owner.auth, 'POST', `/api/workspaces/${ws}/projects`, { name: 'Ledger' })
  ).body.id;
  const cfg = await call(gw, owner.auth, 'PUT', `/api/projects/${project}/agent-config`, {
    agents: [
      { name: 'quick', profile: 'haiku' },
      { name: 'careful', profile: 'haiku', approval: ['list_files'] },
    ],
  });
  expect(cfg.status).toBe(200);
  const other = (await call<{ id: string }>(gw, outsider.auth, 'POST', '/api/orgs', { name: 'Other Org' }))
    .body.id;
  expect(other).toBeTruthy();
  browser = await launchBrowser();
}, 120_000); // a nats-server, a node, a supervisor, a gateway and Chromium: over 60 s at load 30

afterAll(async () => {
  await browser?.close();
  await gw?.close();
  await sup?.stop();
  await node?.stop();
  await nc?.close();
  await ns?.stop();
  await fake?.close();
  dir?.remove();
}, 120_000);

async function signIn(email: string): Promise<Page> {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await watch(page);
  await page.goto(`${base}/console/login`);
  await page.type('#email', email);
  await page.type('#password', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('#signin')]);
  expect(new URL(page.url()).pathname).toBe('/console');
  await waitIn(page, '#who:not(:empty)');
  return page;
}

const submit = async (agent: string, prompt: string) => {
  const r = await call<{ id: string }>(gw, owner.auth, 'POST', `/api/projects/${project}/tasks`, {
    prompt,
    agent,
  });
  expect(r.status).toBe(202);
  return r.body.id;
};

let taskId = '';
let letterSeq = 0;

describe('console in the browser', () => {
  it('refuses every console route without an operator identity', async () => {
    const routes: [string, string][] = [
      ['GET', '/console'],
      ['GET', '/console/api/overview'],
      ['GET', '/console/api/events'],
      ['GET', '/console/api/tasks/x'],
      ['POST', '/console/api/tasks/x/approve'],
      ['POST', '/console/api/tasks/x/deny'],
      ['GET', '/console/api/dead-letters/1'],
      ['POST', '/console/api/dead-letters/1/redrive'],
      ['POST', '/console/api/dead-letters/1/discard'],
    ];
    for (const [method, url] of routes) {
      const attempts: Record<string, string>[] = [
        {},
        { authorization: 'Bearer not-a-token' },
        { cookie: 'moe_console=forged' },
      ];
      for (const headers of attempts) {
        const res = await fetch(`${base}${url}`, { method, headers: { 'x-moe-console': '1', ...headers } });
        expect(res.status, `${method} ${url} ${JSON.stringify(headers)}`).toBe(401);
        const body = await res.text();
        expect(body).not.toContain('Payments');
      }
    }
    // a session cannot be made from a bad credential, and the supervisor's own page is the operator's too
    expect(
      (await fetch(`${base}/console/api/session`, { method: 'POST', headers: { 'x-moe-console': '1' } }))
        .status,
    ).toBe(401);
    expect((await fetch(`${sup.url}/api/status`)).status).toBe(401);
    expect((await fetch(`${sup.url}/`)).status).toBe(401);
    expect(
      (await fetch(`${sup.url}/api/status`, { headers: { authorization: 'Bearer wrong' } })).status,
    ).toBe(401);
    expect(
      (await fetch(`${sup.url}/api/status`, { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } }))
        .status,
    ).toBe(200);
  });

  it('signs in, shows the node and the workspace by name, and a task running live until its cost appears', async () => {
    // step 1 asks for a tool, step 2 streams slowly: the task is visibly running for a while
    fake.enqueue(
      'anthropic',
      fakeReply({
        text: 'Looking.',
        toolCalls: [{ name: 'list_files', input: { path: '.' } }],
        usage: { input: 1000, output: 200 },
      }),
      fakeReply({ text: 'Ledger is balanced.', usage: { input: 1500, output: 100 }, chunkDelayMs: 400 }),
    );
    const page = await signIn(owner.email);
    taskId = await submit('quick', 'check the ledger');
    await waitIn(page, `tr[data-task="${taskId}"][data-phase="running"]`, 20_000);
    await waitIn(page, 'tr[data-node="console-node-1"][data-state="live"]', 20_000);
    const wsRow = await textOf(page, `tr[data-ws="${org}.${ws}"]`);
    expect(wsRow).toContain('Acme Robotics');
    expect(wsRow).toContain('Payments');
    expect(wsRow).toContain('console-node-1');
    expect(wsRow).not.toContain(ws); // a name, not the id
    await screenshot(page, 'task-running');
    await waitIn(page, `tr[data-task="${taskId}"][data-phase="done"]`, 20_000);
    // claude-haiku-4-5 at $1 / $5 per MTok: 1000·1 + 200·5 + 1500·1 + 100·5 = 4000 µ$
    const cost = await textOf(page, `tr[data-task="${taskId}"] .cost`);
    expect(cost).toBe('$0.0040');
    expect(await textOf(page, '#cost-total')).toBe('$0.0040');
    await clickIn(page, `tr[data-task="${taskId}"]`);
    await waitIn(page, '#result');
    expect(await textOf(page, '#result')).toBe('Ledger is balanced.');
    await screenshot(page, 'overview');
    await page.browserContext().close();
  }, 120_000);

  it('approves a task waiting for approval from the console', async () => {
    fake.enqueue(
      'anthropic',
      fakeReply({
        text: 'May I look?',
        toolCalls: [{ name: 'list_files', input: { path: '.' } }],
        usage: { input: 10, output: 10 },
      }),
      fakeReply({ text: 'Looked, all fine.', usage: { input: 10, output: 10 } }),
    );
    const page = await signIn(owner.email);
    const id = await submit('careful', 'look around');
    const row = `tr[data-task="${id}"][data-phase="waiting"]`;
    await waitIn(page, row, 20_000);
    await clickIn(page, row);
    await waitIn(page, `button[data-act="approve"][data-id="${id}"]`);
    await screenshot(page, 'task-waiting-approval');
    await page.click(`button[data-act="approve"][data-id="${id}"]`);
    await waitIn(page, `tr[data-task="${id}"][data-phase="done"]`, 20_000);
    const audit = await texts(page, '#audit tr');
    await eventually(async () =>
      (await texts(page, '#audit tr')).some((t) => t.includes('task.approve') && t.includes(id))
        ? true
        : undefined,
    );
    expect(audit.length).toBeGreaterThan(0);
    await page.browserContext().close();
  }, 120_000);

  it('redrives a dead letter, and a viewer cannot', async () => {
    // a command the node can never apply: not JSON
    nc.publish(`moe.cmd.${org}.${ws}.agent.${ws}-${project}-tbroken`, new TextEncoder().encode('{not json'));
    await nc.flush();
    letterSeq = await eventually(async () => {
      const r = await call<{ deadLetters: { letters: { seq: number; code: string }[] } }>(
        gw,
        owner.auth,
        'GET',
        '/console/api/overview',
      );
      return r.body.deadLetters.letters[0]?.seq;
    });

    const viewerPage = await signIn(viewer.email);
    await waitIn(viewerPage, `tr[data-letter="${letterSeq}"]`);
    await clickIn(viewerPage, `tr[data-letter="${letterSeq}"]`);
    await waitIn(viewerPage, '#no-actions');
    expect(await viewerPage.$('button[data-act="redrive"]')).toBeNull();
    const refused = await viewerPage.evaluate(async (seq) => {
      const res = await fetch(`/console/api/dead-letters/${seq}/redrive`, {
        method: 'POST',
        headers: { 'x-moe-console': '1' },
      });
      return { status: res.status, body: (await res.json()) as { error: { code: string } } };
    }, letterSeq);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('MOE_ERR_FORBIDDEN');
    await screenshot(viewerPage, 'dead-letter-viewer');
    await viewerPage.browserContext().close();

    const page = await signIn(owner.email);
    await waitIn(page, `tr[data-letter="${letterSeq}"]`);
    // a user's click: the live view updates (about every second) while the button is down, and
    // the row stays the one under the pointer, so the click opens it
    await clickAcrossUpdate(page, `tr[data-letter="${letterSeq}"]`);
    await waitIn(page, `button[data-act="redrive"][data-seq="${letterSeq}"]`);
    expect(await textOf(page, '#detail')).toContain('{not json');
    await screenshot(page, 'dead-letter');
    await page.click(`button[data-act="redrive"][data-seq="${letterSeq}"]`);
    await waitIn(page, '#done');
    expect(await textOf(page, '#done')).toContain('redriven');
    // the letter is gone from MOE_DLQ, the command is back on MOE_CMD, and the audit log says who did it
    const jsm = await jetstreamManager(nc);
    expect(
      await jsm.streams.getMessage(STREAMS.deadLetters, { seq: letterSeq }).catch(() => null),
    ).toBeNull();
    await eventually(async () =>
      (await texts(page, '#audit tr')).some(
        (t) => t.includes('deadletter.redrive') && t.includes(String(letterSeq)),
      )
        ? true
        : undefined,
    );
    await page.browserContext().close();
  }, 120_000);

  it('an admin of another org gets 404 for this org’s task and dead letter, and sees none of its names', async () => {
    expect((await call(gw, outsider.auth, 'GET', `/console/api/tasks/${taskId}`)).status).toBe(404);
    const letter = await eventually(async () => {
      const r = await call<{ deadLetters: { letters: { seq: number }[] } }>(
        gw,
        owner.auth,
        'GET',
        '/console/api/overview',
      );
      return r.body.deadLetters.letters[0]?.seq; // the redriven command dead-lettered again
    });
    expect((await call(gw, outsider.auth, 'GET', `/console/api/dead-letters/${letter}`)).status).toBe(404);
    const own = await call(gw, owner.auth, 'GET', `/console/api/dead-letters/${letter}`);
    expect(own.status).toBe(200);
    expect(
      (
        await gw.app.inject({
          method: 'POST',
          url: `/console/api/dead-letters/${letter}/discard`,
          headers: { ...outsider.auth, 'x-moe-console': '1' },
        })
      ).statusCode,
    ).toBe(404);
    const view = await gw.app.inject({ method: 'GET', url: '/console/api/overview', headers: outsider.auth });
    expect(view.statusCode).toBe(200);
    expect(view.body).not.toContain('Payments');
    expect(view.body).not.toContain('Acme Robotics');
    expect(view.body).toContain('Other Org');
  });
});
