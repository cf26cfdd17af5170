/**
 * The supervisor's probes and metrics against a real nats-server: `/healthz`, `/readyz` (503 while
 * NATS is down, 200 once it is back), and `/metrics` with its own process series first and the
 * cluster's after them (a node that joins shows as live); an unknown route or a malformed body is
 * answered with a catalogued code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSupervisor, type Supervisor } from '../../supervisor/index.js';
import { startWorkspaceNode, type WorkspaceNode } from '../../workspace-node/index.js';
import { eventually, silent, startNatsServer, tempDirs, type NatsServerHandle } from '../harness/index.js';
import { metricValue } from './metrics.kit.js';

let ns: NatsServerHandle;
let sup: Supervisor;
let node: WorkspaceNode | undefined;
const dirs = tempDirs();

beforeAll(async () => {
  ns = await startNatsServer();
  sup = await startSupervisor({ natsUrl: ns.url, port: 0, logger: silent, id: 'sup-obs' });
});
afterAll(async () => {
  await node?.stop().catch(() => undefined);
  await sup?.stop().catch(() => undefined);
  await ns?.stop();
  dirs.removeAll();
});

async function get(path: string): Promise<{ status: number; body: string } | null> {
  try {
    const res = await fetch(`${sup.url}${path}`);
    return { status: res.status, body: await res.text() };
  } catch {
    return null;
  }
}

describe('supervisor probes and metrics', () => {
  it('is live and ready, and its metrics hold its own process series and the cluster', async () => {
    expect((await get('/healthz'))?.status).toBe(200);
    const ready = await get('/readyz');
    expect(ready?.status).toBe(200);
    expect(JSON.parse(ready!.body)).toEqual({ ready: true, checks: { nats: true, running: true } });
    node = await startWorkspaceNode({
      natsUrl: ns.url,
      dataDir: dirs.make('moe-supobs-'),
      nodeId: 'supobs-node',
      logger: silent,
      httpPort: null,
    });
    const text = await eventually(
      async () => {
        const t = (await get('/metrics'))?.body ?? '';
        return metricValue(t, 'moe_cluster_nodes', { state: 'live' }) === 1 ? t : undefined;
      },
      { timeoutMs: 10_000, what: 'the node counted live' },
    );
    expect(metricValue(text, 'moe_supervisor_leader')).toBe(1);
    expect(metricValue(text, 'moe_supervisor_nats_connected')).toBe(1);
    expect(metricValue(text, 'moe_supervisor_ready')).toBe(1);
    expect(text).toMatch(/^moe_supervisor_process_cpu_seconds_total /m);
    expect(text).toMatch(/^moe_cluster_stream_messages\{stream="MOE_CMD"\} \d+$/m);
    expect(text).toMatch(/^moe_cluster_dead_letters \d+$/m);
  });

  it('answers an unknown route 404 MOE_ERR_ROUTE_NOT_FOUND and a malformed body 400 MOE_ERR_BAD_REQUEST', async () => {
    const missing = await fetch(`${sup.url}/api/nodes`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: {
        code: 'MOE_ERR_ROUTE_NOT_FOUND',
        message: 'no route for this method and path: GET /api/nodes',
      },
    });
    const malformed = await fetch(`${sup.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"token":',
    });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { code: string } }).error.code).toBe('MOE_ERR_BAD_REQUEST');
  });

  it('is not ready while NATS is down, ready again once it is back, live throughout', async () => {
    await ns.kill();
    const down = await eventually(
      async () => {
        const r = await get('/readyz');
        return r?.status === 503 ? (JSON.parse(r.body) as { checks: Record<string, boolean> }) : undefined;
      },
      { timeoutMs: 10_000, what: '/readyz 503 with NATS down' },
    );
    expect(down.checks.nats).toBe(false);
    expect((await get('/healthz'))?.status).toBe(200);
    await ns.restart();
    await eventually(async () => ((await get('/readyz'))?.status === 200 ? true : undefined), {
      timeoutMs: 20_000,
      what: '/readyz 200 with NATS back',
    });
  });
});
