/**
 * The `stop` restart policy blocks the stopped actor, end to end on a real nats-server with real
 * nodes, two supervisors and the gateway: once the policy gives up (`stop` or `escalate`), the
 * leading supervisor records the actor in KV `moe_stopped_actors`; the nodes refuse its later
 * commands (dead letter MOE_ERR_ACTOR_STOPPED, acked, no turn) while other actors run; the
 * gateway answers such a command 409 with that code; the record outlives a supervisor leader
 * change and a node restart; an operator's restart from the console (not a viewer's) lets the
 * next command run a turn.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kvm, type KV } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { kernelErrors } from '../../actors/kernel/index.js';
import { buildGateway, type Gateway } from '../../gateway/index.js';
import type { Overview } from '../../gateway/console/index.js';
import {
  KV_BUCKETS,
  parseStoppedActor,
  restartHistoryKey,
  type ActorAddress,
  type CommandEnvelope,
} from '../../schemas/index.js';
import { startSupervisor, type Supervisor } from '../../supervisor/index.js';
import type { WorkspaceNode } from '../../workspace-node/index.js';
import { eventually, silent, startPlatform, type Platform } from '../harness/index.js';
import { ARTIFACTS, clickIn, launchBrowser, OPERATOR_TOKEN, screenshot, textOf } from './console.kit.js';
import { call, JWT_SECRET, registerAndLogin } from './gateway.fixture.js';

// each case waits for a policy decision, a KV watch and a turn: generous on a loaded box
vi.setConfig({ testTimeout: 180_000 });

const STOPPED = kernelErrors.ACTOR_STOPPED.spec.code;
const UNKNOWN = kernelErrors.UNKNOWN_COMMAND.spec.code;

let p: Platform;
let supA: Supervisor;
let supB: Supervisor | undefined;
let node: WorkspaceNode;
let gw: Gateway;
let stoppedKv: KV;
let nodesKv: KV;

const policies = {
  session: { maxRestarts: 0, windowMs: 60_000, backoffBaseMs: 10, backoffMaxMs: 10, then: 'stop' as const },
  agent: {
    maxRestarts: 1,
    windowMs: 60_000,
    backoffBaseMs: 10,
    backoffMaxMs: 10,
    then: 'escalate' as const,
    escalateTo: 'operators' as const,
  },
};
const supervisorOpts = () => ({
  nc: p.nc,
  port: 0,
  logger: silent,
  leaderLeaseMs: 1500,
  intervalMs: 200,
  operatorToken: OPERATOR_TOKEN,
  restartPolicies: {
    session: { ...policies.session, escalateTo: 'operators' as const },
    agent: policies.agent,
  },
});

beforeAll(async () => {
  p = await startPlatform();
  const kvm = new Kvm(p.nc);
  stoppedKv = await kvm.open(KV_BUCKETS.stoppedActors);
  nodesKv = await kvm.open(KV_BUCKETS.nodes);
  supA = await startSupervisor({ ...supervisorOpts(), id: 'stop-sup-a' });
  node = await p.node({ nodeId: 'stop-node-1', httpPort: null });
  gw = await buildGateway({ nc: p.nc, jwtSecret: JWT_SECRET, logger: false, operatorToken: OPERATOR_TOKEN });
}, 60_000);
afterAll(async () => {
  await gw?.close();
  await supB?.stop();
  await supA?.stop();
  await p?.close();
});

const poison = (id: string) => ({ id, type: 'no.such.command', data: {} });
const renew = (id: string) => ({ id, type: 'session.renew', data: {} });

interface Letter {
  seq: number;
  subject: string;
  code: string;
  reason: string;
  id: string | null;
}

/** Every dead letter stored so far. */
async function letters(): Promise<Letter[]> {
  const { first_seq: first, last_seq: last, messages } = (await p.jsm.streams.info('MOE_DLQ')).state;
  const out: Letter[] = [];
  for (let seq = first; messages > 0 && seq <= last; seq++) {
    const m = await p.jsm.streams.getMessage('MOE_DLQ', { seq }).catch(() => null);
    if (!m) continue;
    const l = m.json<{ subject: string; code: string; reason: string; payload: string }>();
    let id: string | null = null;
    try {
      id = (JSON.parse(l.payload) as { id?: string }).id ?? null;
    } catch {
      // not a command
    }
    out.push({ seq, subject: l.subject, code: l.code, reason: l.reason, id });
  }
  return out;
}

const letterOf = (commandId: string, timeoutMs = 30_000) =>
  eventually(async () => (await letters()).find((l) => l.id === commandId), {
    timeoutMs,
    what: `the dead letter of ${commandId}`,
  });

/**
 * Probes until the node refuses the actor (dead letter MOE_ERR_ACTOR_STOPPED). The node learns of
 * a stop record through the bucket's watch, so a probe sent right after the record was written may
 * still run (a turn, no letter): each probe is given a few seconds, then the next one is sent.
 */
async function untilRefused(
  a: ActorAddress,
  prefix: string,
  command: (id: string) => CommandEnvelope = renew,
) {
  await eventually(
    async () => {
      const id = `${prefix}-${Date.now()}`;
      await p.client.send(a, command(id));
      const l = await letterOf(id, 5_000).catch(() => undefined);
      return l?.code === STOPPED ? true : undefined;
    },
    { timeoutMs: 60_000, what: `the node refusing ${key(a)}` },
  );
}

/** The turns journaled for one actor. */
async function turnsOf(a: ActorAddress): Promise<string[]> {
  return (await p.records(`moe.evt.${a.org}.${a.ws}.${a.kind}.${a.id}`)).map((r) => r.record.cmd.id);
}

const key = (a: ActorAddress) => `${a.org}.${a.ws}.${a.kind}.${a.id}`;

/** Sends a poison command and waits for the supervisor's stop record. */
async function stopByPolicy(a: ActorAddress, id: string) {
  await p.client.send(a, poison(id));
  return eventually(
    async () => {
      const e = await stoppedKv.get(key(a));
      return (e && e.operation === 'PUT' ? parseStoppedActor(e.value) : null) ?? undefined;
    },
    { timeoutMs: 30_000, what: `${key(a)} recorded as stopped` },
  );
}

/** A command that runs: its turn is journaled. */
async function expectTurn(a: ActorAddress, id: string) {
  await p.client.send(a, renew(id));
  await eventually(async () => ((await turnsOf(a)).includes(id) ? true : undefined), {
    timeoutMs: 30_000,
    what: `the turn of ${id}`,
  });
}

/** A command that is refused: dead-lettered with MOE_ERR_ACTOR_STOPPED, no turn. */
async function expectRefused(a: ActorAddress, id: string) {
  await p.client.send(a, renew(id));
  const l = await letterOf(id);
  expect(l.code).toBe(STOPPED);
  expect(l.subject).toBe(`moe.cmd.${key(a)}`);
  expect(l.reason).toContain('stopped by its restart policy');
  expect(await turnsOf(a)).not.toContain(id);
  // acked, not redelivered: the consumer has nothing pending for it
  return l;
}

describe('the stop restart policy', () => {
  const s1 = { org: 'sp', ws: 'w1', kind: 'session', id: 's1' };
  const s2 = { org: 'sp', ws: 'w1', kind: 'session', id: 's2' };

  it('stops an actor: its later commands are dead-lettered with MOE_ERR_ACTOR_STOPPED and run no turn; others run', async () => {
    await expectTurn(s1, 's1-ok-1');
    const rec = await stopByPolicy(s1, 's1-poison');
    expect(rec).toMatchObject({
      action: 'stop',
      code: UNKNOWN,
      commandId: 's1-poison',
      restarts: 0,
      decidedBy: 'stop-sup-a',
    });
    expect(rec.at).toBeGreaterThan(0);
    // the node's cache follows the bucket's watch: a command sent right after may still run, so
    // wait until one is refused, then every later one must be
    await untilRefused(s1, 's1-probe');
    const before = (await turnsOf(s1)).length;
    for (let i = 0; i < 3; i++) await expectRefused(s1, `s1-refused-${i}`);
    expect((await turnsOf(s1)).length).toBe(before);
    // another actor of the same workspace is unaffected
    await expectTurn(s2, 's2-ok-1');
    // the refusals are not failures: the supervisor decided once for s1 (no restart, no second stop)
    await new Promise((r) => setTimeout(r, 300));
    expect(
      supA.supervision.decisions.filter((d) => d.actor === key(s1)).map((d) => d.decision.action),
    ).toEqual(['stop']);
  });

  it('escalate stops too', async () => {
    const a1 = { org: 'sp', ws: 'w1', kind: 'agent', id: 'a1' };
    const rec = await stopByPolicy(a1, 'a1-poison');
    expect(rec).toMatchObject({
      action: 'escalate',
      to: 'operators',
      code: UNKNOWN,
      restarts: 1,
      commandId: 'a1-poison#r1',
    });
    await untilRefused(a1, 'a1-probe', (id) => ({ id, type: 'no.such.command', data: {} }));
    expect(
      supA.supervision.decisions.filter((d) => d.actor === key(a1)).map((d) => d.decision.action),
    ).toEqual(['restart', 'escalate']);
  });

  it('the record survives a supervisor leader change and a node restart', async () => {
    supB = await startSupervisor({ ...supervisorOpts(), id: 'stop-sup-b' });
    expect(supB.isLeader).toBe(false);
    await supA.stop();
    await eventually(async () => (supB!.isLeader ? true : undefined), {
      timeoutMs: 30_000,
      what: 'supervisor b leading',
    });
    await expectRefused(s1, 's1-after-failover');
    await node.stop();
    node = await p.node({ nodeId: 'stop-node-2', httpPort: null });
    await expectRefused(s1, 's1-after-node-restart');
    await expectTurn(s2, 's2-after-node-restart');
    // the new leader took the refusals for what they are: not failures of s1
    expect(supB.supervision.decisions.some((d) => d.actor === key(s1))).toBe(false);
  });
});

describe('the console and the gateway', () => {
  let owner: Awaited<ReturnType<typeof registerAndLogin>>;
  let viewer: Awaited<ReturnType<typeof registerAndLogin>>;
  let outsider: Awaited<ReturnType<typeof registerAndLogin>>;
  let org: string;
  let ws: string;
  let session: string;
  const opAuth = { authorization: `Bearer ${OPERATOR_TOKEN}` };
  const restart = (actor: string, auth: Record<string, string>) =>
    gw.app.inject({
      method: 'POST',
      url: `/console/api/actors/${encodeURIComponent(actor)}/restart`,
      headers: { ...auth, 'x-moe-console': '1' },
    });

  beforeAll(async () => {
    owner = await registerAndLogin(gw, 'stop-owner');
    viewer = await registerAndLogin(gw, 'stop-viewer');
    outsider = await registerAndLogin(gw, 'stop-outsider');
    org = (await call<{ id: string }>(gw, owner.auth, 'POST', '/api/orgs', { name: 'Stops' })).body.id;
    ws = (await call<{ id: string }>(gw, owner.auth, 'POST', '/api/workspaces', { org, name: 'Line' })).body
      .id;
    await call(gw, owner.auth, 'POST', `/api/orgs/${org}/members`, { email: viewer.email, role: 'viewer' });
    const opened = await call<{ id: string }>(gw, owner.auth, 'POST', `/api/workspaces/${ws}/sessions`, {});
    expect(opened.status).toBe(201);
    session = opened.body.id;
  }, 60_000);

  it('a command the node refuses as stopped is a 409 MOE_ERR_ACTOR_STOPPED; the console lists the actor; a viewer cannot restart it, an operator can', async () => {
    const addr = { org, ws, kind: 'session', id: session };
    const renewed = await call(gw, owner.auth, 'POST', `/api/sessions/${session}/renew`, {});
    expect(renewed.status).toBe(200);
    await stopByPolicy(addr, `${session}-poison`);
    const refused = await eventually(
      async () => {
        const r = await call<{ error: { code: string; message: string } }>(
          gw,
          owner.auth,
          'POST',
          `/api/sessions/${session}/renew`,
          {},
        );
        return r.status === 200 ? undefined : r;
      },
      { timeoutMs: 30_000, what: 'the renew refused' },
    );
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe(STOPPED);
    expect(refused.body.error.message).toContain('stopped by its restart policy');

    // the console shows it, to those who see the org
    const ov = await gw.app.inject({ method: 'GET', url: '/console/api/overview', headers: opAuth });
    const row = ov.json<Overview>().stoppedActors.find((a) => a.actor === key(addr));
    expect(row).toMatchObject({
      action: 'stop',
      kind: 'session',
      wsName: 'Line',
      orgName: 'Stops',
      canRestart: true,
    });
    const asViewer = await gw.app.inject({
      method: 'GET',
      url: '/console/api/overview',
      headers: viewer.auth,
    });
    expect(asViewer.json<Overview>().stoppedActors.find((a) => a.actor === key(addr))?.canRestart).toBe(
      false,
    );

    // a viewer is refused (403), someone outside the org does not see it (404)
    const byViewer = await restart(key(addr), viewer.auth);
    expect(byViewer.statusCode).toBe(403);
    const byOutsider = await restart(key(addr), outsider.auth);
    expect(byOutsider.statusCode).toBe(404);
    expect((await stoppedKv.get(key(addr)))?.operation).toBe('PUT');

    // the operator restarts it: record and restart history gone, audited, the next command runs
    await nodesKv.put(restartHistoryKey(key(addr)), JSON.stringify([Date.now()]));
    const byOperator = await restart(key(addr), opAuth);
    expect(byOperator.statusCode).toBe(200);
    expect(byOperator.json()).toEqual({ actor: key(addr), restarted: true });
    expect((await stoppedKv.get(key(addr)))?.operation).not.toBe('PUT');
    expect((await nodesKv.get(restartHistoryKey(key(addr))))?.operation).not.toBe('PUT');
    const again = await eventually(
      async () => {
        const r = await call(gw, owner.auth, 'POST', `/api/sessions/${session}/renew`, {});
        return r.status === 200 ? r : undefined;
      },
      { timeoutMs: 30_000, what: 'the renew running again' },
    );
    expect(again.status).toBe(200);
    const after = await gw.app.inject({ method: 'GET', url: '/console/api/overview', headers: opAuth });
    const o = after.json<Overview>();
    expect(o.stoppedActors.some((a) => a.actor === key(addr))).toBe(false);
    expect(o.audit.some((a) => a.action === 'actor.restart' && a.target === key(addr))).toBe(true);
    // a restarted actor is not stopped any more: restarting it again is a 404
    expect((await restart(key(addr), opAuth)).statusCode).toBe(404);
  });

  it('the operator restart clears a policy-stopped actor on the node too: the next command runs a turn', async () => {
    const s3 = { org: 'sp', ws: 'w1', kind: 'session', id: 's3' };
    await stopByPolicy(s3, 's3-poison');
    await untilRefused(s3, 's3-probe');
    expect((await restart(key(s3), opAuth)).statusCode).toBe(200);
    await eventually(
      async () => {
        const id = `s3-run-${Date.now()}`;
        await p.client.send(s3, renew(id));
        await new Promise((r) => setTimeout(r, 200));
        return (await turnsOf(s3)).includes(id) ? true : undefined;
      },
      { timeoutMs: 30_000, what: 's3 running a turn again' },
    );
  });
});

describe('the console page', () => {
  it('lists a stopped actor in the Workspaces view and restarts it with its button', async () => {
    const s4 = { org: 'sp', ws: 'w1', kind: 'session', id: 's4' };
    await stopByPolicy(s4, 's4-poison');
    const base = await gw.app.listen({ port: 0, host: '127.0.0.1' });
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.setExtraHTTPHeaders({ authorization: `Bearer ${OPERATOR_TOKEN}` });
      await page.goto(`${base}/console`);
      const row = `tr[data-stopped="${key(s4)}"]`;
      await page.waitForSelector(row, { timeout: 15_000 });
      const text = await textOf(page, row);
      expect(text).toContain('session s4');
      expect(text).toContain('stop');
      expect(text).toContain(UNKNOWN);
      // an escalated actor shows its target (a1, escalated to the operators above)
      const escalated = `tr[data-stopped="sp.w1.agent.a1"] .escalated-to`;
      expect(await page.$eval(escalated, (e: unknown) => (e as { dataset: { to: string } }).dataset.to)).toBe(
        'operators',
      );
      await screenshot(page, 'stopped-actor');
      // the Workspaces view alone (docs/img/console-stopped-actors.png is taken from it)
      mkdirSync(ARTIFACTS, { recursive: true });
      await (await page.$('#workspaces'))!.screenshot({ path: join(ARTIFACTS, 'stopped-actors.png') });
      await clickIn(page, `button[data-actor="${key(s4)}"]`);
      await page.waitForSelector('#done', { timeout: 15_000 });
      expect(await textOf(page, '#done')).toContain(`${key(s4)} restarted`);
      await page.waitForFunction(`!document.querySelector('${row}')`, { timeout: 15_000 });
    } finally {
      await browser.close();
    }
    expect((await stoppedKv.get(key(s4)))?.operation).not.toBe('PUT');
    await eventually(
      async () => {
        const id = `s4-run-${Date.now()}`;
        await p.client.send(s4, renew(id));
        await new Promise((r) => setTimeout(r, 200));
        return (await turnsOf(s4)).includes(id) ? true : undefined;
      },
      { timeoutMs: 30_000, what: 's4 running a turn again' },
    );
  });
});
