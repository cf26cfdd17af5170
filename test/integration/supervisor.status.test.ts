/**
 * The supervisor's status over HTTP: `/api/status` lists live nodes, workspaces with their lease
 * holder and consumer backlog (also a workspace no node hosts), dead letters with code and reason,
 * and stream sizes; `/` is a self-contained HTML page; `/healthz` answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startSupervisor,
  type Supervisor,
  type SupervisorStatus,
  type WorkspaceStatus,
} from '../../supervisor/index.js';
import { eventually, silent, startPlatform, type Platform } from '../harness/index.js';

let p: Platform;
let sup: Supervisor;
beforeAll(async () => {
  p = await startPlatform();
  sup = await startSupervisor({ nc: p.nc, id: 'sup-status', port: 0, logger: silent });
});
afterAll(async () => {
  await sup?.stop();
  await p?.close();
});

/**
 * No node holds the workspace: its lease was deleted by the stopping node, or — when the supervisor
 * saw the heartbeat go first (a slow stop) — expired by the supervisor, still naming the old holder.
 */
const unheld = (w: WorkspaceStatus) =>
  w.holder === null || (!w.holderLive && w.leaseRemainingMs !== null && w.leaseRemainingMs <= 0);

const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));

describe('supervisor status', () => {
  it('reports nodes, workspaces with backlog, dead letters and streams after a malformed command', async () => {
    await p.node({ nodeId: 'n1', only: ['st.main'] });
    const n2 = await p.node({ nodeId: 'n2', only: ['st.idle'] });
    const main = { org: 'st', ws: 'main', kind: 'org', id: 'o1' };
    const idle = { org: 'st', ws: 'idle', kind: 'org', id: 'o2' };
    await p.client.request(main, { id: 'c1', type: 'org.create', data: { name: 'main' } });
    await p.client.request(idle, { id: 'c2', type: 'org.create', data: { name: 'idle' } });
    await n2.stop(); // st.idle keeps its durable consumer but has no node now
    await p.client.send(idle, { id: 'c3', type: 'workspace.add', data: { workspace: 'x' } });
    await p.client.send(idle, { id: 'c4', type: 'workspace.add', data: { workspace: 'y' } });
    await p.client.js.publish('moe.cmd.st.main.org.o1', enc('{not json'), { msgID: 'bad-1' });

    // Everything below is eventually consistent (KV mirrors, heartbeats, consumer info): wait for
    // all of it to settle, then check the details, so a slow box only makes this take longer.
    const s = await eventually(
      async () => {
        const res = await fetch(`${sup.url}/api/status`);
        const body = (await res.json()) as SupervisorStatus;
        const idleWs = body.workspaces.find((w) => w.workspace === 'st.idle');
        const mainWs = body.workspaces.find((w) => w.workspace === 'st.main');
        const settled =
          res.status === 200 &&
          body.nodes.map((n) => n.id).join() === 'n1' && // n2's heartbeat is gone
          body.nodes[0]!.live &&
          body.nodes[0]!.workspaces.includes('st.main') && // next heartbeat after hosting
          body.deadLetters.count >= 1 &&
          idleWs !== undefined &&
          unheld(idleWs) &&
          idleWs.backlog === 2 &&
          mainWs?.holder === 'n1' &&
          mainWs.holderLive &&
          mainWs.backlog === 0;
        return settled ? body : undefined;
      },
      { timeoutMs: 45_000, what: 'status with backlog and a dead letter' },
    );
    expect(s.supervisor).toMatchObject({ id: 'sup-status', leader: true });
    expect(s.nodes.map((n) => n.id)).toEqual(['n1']);
    expect(s.nodes[0]).toMatchObject({ live: true, workspaces: ['st.main'], degraded: [] });
    expect(s.nodes[0]!.ageMs).toBeLessThanOrEqual(s.supervisor.staleMs);
    expect(s.workspaces.find((w) => w.workspace === 'st.main')).toMatchObject({
      holder: 'n1',
      holderLive: true,
      epoch: 1,
      backlog: 0,
    });
    expect(s.workspaces.find((w) => w.workspace === 'st.main')!.leaseRemainingMs).toBeGreaterThan(0);
    const idleWs = s.workspaces.find((w) => w.workspace === 'st.idle')!;
    expect(idleWs).toMatchObject({ holderLive: false, backlog: 2 });
    expect(unheld(idleWs)).toBe(true);
    expect(s.deadLetters.recent[0]).toMatchObject({
      code: 'MOE_ERR_BAD_COMMAND',
      subject: 'moe.cmd.st.main.org.o1',
    });
    expect(s.deadLetters.recent[0]!.reason).toContain('not valid JSON');
    expect(s.streams.map((x) => x.name).sort()).toEqual(['MOE_CMD', 'MOE_DLQ', 'MOE_EVT']);
    expect(s.streams.find((x) => x.name === 'MOE_CMD')!.messages).toBeGreaterThanOrEqual(5);
  });

  it('serves a self-contained HTML dashboard and a health check', async () => {
    const page = await fetch(`${sup.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('<table');
    expect(html).toContain('api/status');
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
    const health = await fetch(`${sup.url}/healthz`);
    expect(await health.json()).toMatchObject({ ok: true, leader: true, id: 'sup-status' });
  });
});
