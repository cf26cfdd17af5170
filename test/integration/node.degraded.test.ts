/**
 * A workspace whose projection worker keeps dying is given up on within a bound and reported
 * degraded: the node's heartbeat carries it, so the supervisor's status shows the node as degraded
 * (with the workspace and the reason), while projections go on on the main thread.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSupervisor, type Supervisor, type SupervisorStatus } from '../../supervisor/index.js';
import { eventually, silent, startPlatform, type Platform } from '../harness/index.js';

let p: Platform;
let sup: Supervisor;
beforeAll(async () => {
  p = await startPlatform();
  sup = await startSupervisor({ nc: p.nc, id: 'sup-dg', port: 0, logger: silent });
});
afterAll(async () => {
  await sup?.stop();
  await p?.close();
});

describe('a degraded node', () => {
  it('reports a workspace whose projection worker keeps dying as degraded in its heartbeat and the supervisor status', async () => {
    const node = await p.node({ nodeId: 'dg-1', only: ['dg.w'] });
    const org = { org: 'dg', ws: 'w', kind: 'org', id: 'o' };
    await p.client.request(org, { id: 'c1', type: 'org.create', data: { name: 'dg' } });
    const host = await node.waitForWorkspace('dg', 'w');
    expect(node.degraded()).toEqual([]);

    // The db dir disappears under the running node (its open handles keep working), then the
    // worker dies: every restart fails at once, opening databases that are no longer there.
    rmSync(join(host.dir, 'db'), { recursive: true, force: true });
    const worker = (host.projections as unknown as { worker: Worker }).worker;
    await worker.terminate();

    await eventually(() => (host.degraded ? true : undefined), {
      timeoutMs: 50_000,
      what: 'the workspace to be degraded',
    });
    expect(host.projections.status.mode).toBe('main-thread');
    expect(node.degraded()).toEqual([expect.stringMatching(/^dg\.w: .*projecting on the main thread/)]);

    const s = await eventually(
      async () => {
        const body = (await (await fetch(`${sup.url}/api/status`)).json()) as SupervisorStatus;
        return body.nodes.find((n) => n.id === 'dg-1' && n.degraded.length > 0) ? body : undefined;
      },
      { timeoutMs: 30_000, what: 'the supervisor to show the node degraded' },
    );
    expect(s.nodes.find((n) => n.id === 'dg-1')!.degraded[0]).toMatch(/^dg\.w: /);

    // Commands are still applied and projected (on the main thread).
    await p.client.request(org, { id: 'c2', type: 'workspace.add', data: { workspace: 'x' } });
    await host.projections.flush();
    await node.stop();
  });
});
