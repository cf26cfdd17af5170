/**
 * A workspace-node killed with kill -9, as the console shows it: live while it beats, dead within
 * the supervisor's threshold (staleMs, plus a couple of supervisor rounds and console reads of
 * slack), its workspace's lease shown as released, and then — after the dead-node TTL — gone
 * from the node list. The node is a real `moe node` child process, killed by pid; the console is
 * read as the operator, in the browser (the rendered rows) and over its API.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, type Gateway } from '../../gateway/index.js';
import { startSupervisor, type Supervisor } from '../../supervisor/index.js';
import { eventually, exited, silent, startPlatform, type Platform } from '../harness/index.js';
import { launchBrowser, OPERATOR_TOKEN, screenshot } from './console.kit.js';
import { JWT_SECRET } from './gateway.fixture.js';

const STALE_MS = 1500;
const DEAD_TTL_MS = 2000;

let p: Platform;
let sup: Supervisor;
let gw: Gateway;
let child: ChildProcess | null = null;

beforeAll(async () => {
  p = await startPlatform();
  sup = await startSupervisor({
    nc: p.nc,
    id: 'sup-death',
    port: 0,
    logger: silent,
    staleMs: STALE_MS,
    deadNodeTtlMs: DEAD_TTL_MS,
    operatorToken: OPERATOR_TOKEN,
  });
  gw = await buildGateway({
    nc: p.nc,
    jwtSecret: JWT_SECRET,
    logger: false,
    operatorToken: OPERATOR_TOKEN,
    supervisorUrl: sup.url!,
  });
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await exited(child);
  }
  await gw?.close();
  await sup?.stop();
  await p?.close();
});

interface Overview {
  nodes: { id: string; state: string }[];
  workspaces: { workspace: string; holder: string | null; lease: string | null }[];
}

const overview = async (): Promise<Overview> => {
  const res = await gw.app.inject({
    method: 'GET',
    url: '/console/api/overview',
    headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
  });
  expect(res.statusCode).toBe(200);
  return res.json<Overview>();
};

describe('a node killed with kill -9 in the console', () => {
  it('shows dead within the threshold, its lease released, then leaves the list', async () => {
    child = p.spawnNode('doomed-node');
    await p.client.request(
      { org: 'death', ws: 'w1', kind: 'org', id: 'o1' },
      { id: 'c1', type: 'org.create', data: { name: 'x' } },
    );
    await eventually(
      async () => {
        const o = await overview();
        const live = o.nodes.some((n) => n.id === 'doomed-node' && n.state === 'live');
        const held = o.workspaces.some((w) => w.workspace === 'death.w1' && w.holder === 'doomed-node');
        return live && held ? true : undefined;
      },
      { timeoutMs: 30_000, what: 'doomed-node live and holding death.w1' },
    );

    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.setExtraHTTPHeaders({ authorization: `Bearer ${OPERATOR_TOKEN}` });
      const base = await gw.app.listen({ port: 0, host: '127.0.0.1' });
      await page.goto(`${base}/console`);
      await page.waitForSelector('tr[data-node="doomed-node"][data-state="live"]', { timeout: 10_000 });

      const killedAt = Date.now();
      child.kill('SIGKILL');
      await exited(child);
      expect(child.signalCode).toBe('SIGKILL');
      await page.waitForSelector('tr[data-node="doomed-node"][data-state="dead"]', { timeout: 10_000 });
      const deadAfterMs = Date.now() - killedAt;
      // dead once its last beat is older than STALE_MS; the slack covers the supervisor's round,
      // the console's 1 s live interval and a busy box, not a second threshold
      expect(deadAfterMs).toBeLessThan(STALE_MS + 4000);
      const o = await overview();
      expect(o.workspaces.find((w) => w.workspace === 'death.w1')).toMatchObject({
        holder: 'doomed-node',
        lease: 'released',
      });
      await screenshot(page, 'node-dead');
      // … and after the TTL it leaves the list
      await page.waitForFunction(`!document.querySelector('tr[data-node="doomed-node"]')`, {
        timeout: STALE_MS + DEAD_TTL_MS + 5000,
      });
      expect((await overview()).nodes.map((n) => n.id)).not.toContain('doomed-node');
    } finally {
      await browser.close();
    }
  }, 90_000);
});
