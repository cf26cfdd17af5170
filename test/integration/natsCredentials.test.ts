/**
 * Per-org NATS credentials on a real nats-server 2.9 in operator mode (decentralized JWT auth,
 * full resolver), with the platform running on its own service credentials: a `moe node` child
 * process with MOE_NATS_CREDS=node.creds, the gateway on gateway.creds. An org's credential runs a
 * task end to end and reads its journal live and from a sequence (replay service); every attempt
 * on another org, the JetStream API or a tenancy actor is refused with a permissions error; a
 * Python client speaking the wire protocol works with its creds file; revoking a credential cuts
 * it off at once, with the same server process still running.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, type Gateway } from '../../gateway/index.js';
import { initAuthDir } from '../../gateway/natsCredentials/index.js';
import { ensureStreams } from '../../workspace-node/index.js';
import { startSupervisor } from '../../supervisor/index.js';
import {
  eventually,
  exited,
  MOE_BIN,
  startNatsServer,
  tempDir,
  type NatsServerHandle,
} from '../harness/index.js';
import { call, JWT_SECRET, registerAndLogin } from './gateway.fixture.js';

const authTmp = tempDir('moe-auth-');
const dataTmp = tempDir('moe-creds-node-');
let ns: NatsServerHandle;
let gwNc: NatsConnection;
let gw: Gateway;
let node: ChildProcess;
let nodeLog = '';
let orgA: string;
let orgB: string;
let ownerA: { id: string; auth: { authorization: string } };
let ownerB: { id: string; auth: { authorization: string } };
const opened: NatsConnection[] = [];

const serviceCreds = (name: string) => readFileSync(join(authTmp.path, 'creds', `${name}.creds`));
const enc = (s: string) => new TextEncoder().encode(s);

async function asOrg(creds: string, org: string, extra: { maxReconnectAttempts?: number } = {}) {
  const nc = await connect({
    servers: ns.url,
    authenticator: credsAuthenticator(enc(creds)),
    inboxPrefix: `_INBOX_${org}`,
    maxReconnectAttempts: extra.maxReconnectAttempts ?? 0,
  });
  opened.push(nc);
  return nc;
}

async function issue(owner: { auth: Record<string, string> }, org: string) {
  const r = await call<{ creds: string; user: string; inboxPrefix: string }>(
    gw,
    owner.auth,
    'POST',
    `/api/orgs/${org}/nats-credentials`,
  );
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

function moe(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [MOE_BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A task submitted over NATS with `nc` (an org's credential), followed live to its outcome. */
async function runTask(nc: NatsConnection, org: string, ws: string, task: string) {
  const live = nc.subscribe(`moe.evt.${org}.${ws}.agent.${task}`);
  await nc.flush();
  const ack = await jetstream(nc).publish(
    `moe.cmd.${org}.${ws}.agent.${task}`,
    JSON.stringify({ id: `c-${task}`, type: 'task.submit', data: { prompt: 'hello' } }),
    { msgID: `${org}.${ws}.agent.${task}/c-${task}` },
  );
  const outcome = await new Promise<{ type: string }>((done, fail) => {
    const timer = setTimeout(() => fail(new Error('no outcome within 60 s')), 60_000);
    void (async () => {
      for await (const m of live) {
        const entry = m.json<{ turns: Array<{ events: Array<{ type: string }> }> }>();
        const end = entry.turns
          .flatMap((t) => t.events)
          .find((e) => /^task\.(completed|failed)$/.test(e.type));
        if (end) {
          clearTimeout(timer);
          live.unsubscribe();
          done(end);
        }
      }
    })();
  });
  return { ack, outcome };
}

/** The error `p` rejects with (fails the test when it resolves). */
async function refusal(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a refusal, got success');
}

beforeAll(async () => {
  initAuthDir(authTmp.path);
  ns = await startNatsServer({ config: readFileSync(join(authTmp.path, 'nats-auth.conf'), 'utf8') });
  gwNc = await connect({ servers: ns.url, authenticator: credsAuthenticator(serviceCreds('gateway')) });
  await ensureStreams(gwNc, await jetstreamManager(gwNc));
  node = spawn(
    process.execPath,
    [MOE_BIN, 'node', '--nats', ns.url, '--data-dir', dataTmp.path, '--id', 'creds-node'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        MOE_LOG_LEVEL: 'warn',
        MOE_NATS_CREDS: join(authTmp.path, 'creds', 'node.creds'),
      },
    },
  );
  node.stderr?.on('data', (d: Buffer) => (nodeLog += d.toString()));
  gw = await buildGateway({
    nc: gwNc,
    jwtSecret: JWT_SECRET,
    logger: false,
    commandTimeoutMs: 30_000,
    natsAuthDir: authTmp.path,
    natsUrl: ns.url,
  });
  ownerA = await registerAndLogin(gw, 'owner-a');
  ownerB = await registerAndLogin(gw, 'owner-b');
  orgA = (await call<{ id: string }>(gw, ownerA.auth, 'POST', '/api/orgs', { name: 'A' })).body.id;
  orgB = (await call<{ id: string }>(gw, ownerB.auth, 'POST', '/api/orgs', { name: 'B' })).body.id;
  expect(orgA).toBeTruthy();
  expect(orgB).toBeTruthy();
}, 90_000);

afterAll(async () => {
  for (const nc of opened) await nc.close().catch(() => undefined);
  await gw?.close();
  if (node && node.exitCode === null && node.signalCode === null) {
    node.kill('SIGTERM');
    const bound = setTimeout(() => {
      if (node.exitCode === null && node.signalCode === null) node.kill('SIGKILL');
    }, 10_000);
    await exited(node);
    clearTimeout(bound);
  }
  await gwNc?.close();
  await ns?.stop();
  dataTmp.remove();
  authTmp.remove();
}, 60_000);

describe('per-org NATS credentials', () => {
  it('an org admin issues one over REST; a non-member cannot', async () => {
    const issued = await issue(ownerA, orgA);
    expect(issued.creds).toContain('-----BEGIN NATS USER JWT-----');
    expect(issued.user).toMatch(/^U[A-Z2-7]{55}$/);
    expect(issued.inboxPrefix).toBe(`_INBOX_${orgA}`);
    const denied = await call(gw, ownerB.auth, 'POST', `/api/orgs/${orgA}/nats-credentials`);
    expect([403, 404]).toContain(denied.status);
    const listed = await call<{ credentials: Array<{ user: string; revoked: boolean }> }>(
      gw,
      ownerA.auth,
      'GET',
      `/api/orgs/${orgA}/nats-credentials`,
    );
    expect(listed.body.credentials).toContainEqual(
      expect.objectContaining({ user: issued.user, revoked: false }),
    );
  });

  it("runs a task submitted with the org's credential end to end, read live", async () => {
    const nc = await asOrg((await issue(ownerA, orgA)).creds, orgA);
    const { ack, outcome } = await runTask(nc, orgA, 'w1', 't-live');
    expect(ack.stream).toBe('MOE_CMD');
    expect(ack.seq).toBeGreaterThan(0);
    expect(outcome.type).toBe('task.completed');
  }, 90_000);

  it('runs a task submitted over REST, the gateway and the node each on their own credential', async () => {
    const ws = (
      await call<{ id: string }>(gw, ownerA.auth, 'POST', '/api/workspaces', { org: orgA, name: 'w' })
    ).body.id;
    const project = (
      await call<{ id: string }>(gw, ownerA.auth, 'POST', `/api/workspaces/${ws}/projects`, { name: 'p' })
    ).body.id;
    const sub = await call<{ id: string }>(gw, ownerA.auth, 'POST', `/api/projects/${project}/tasks`, {
      prompt: 'hi',
    });
    expect(sub.status, JSON.stringify(sub.body)).toBe(202);
    let last = '';
    const done = await eventually(
      async () => {
        const t = await call<{ status: string }>(gw, ownerA.auth, 'GET', `/api/tasks/${sub.body.id}`);
        last = JSON.stringify(t.body);
        return t.body.status === 'done' || t.body.status === 'failed' ? t.body.status : undefined;
      },
      { timeoutMs: 60_000, what: 'the REST task to finish' },
    );
    expect(done, `${last}\n${nodeLog.slice(-3000)}`).toBe('done');
    expect(JSON.parse(last)).toMatchObject({ provider: 'scripted', failure: null });
  }, 90_000);

  it('replays its own journal from a sequence through moe.api.<org>.replay, and only its own', async () => {
    const nc = await asOrg((await issue(ownerA, orgA)).creds, orgA);
    await runTask(nc, orgA, 'w2', 't-replay');
    type Reply = {
      entries?: Array<{ seq: number; subject: string; entry: { turns: unknown[] } }>;
      nextSeq?: number;
      done?: boolean;
      error?: { code: string };
    };
    const ask = async (body: unknown, org = orgA) =>
      (await nc.request(`moe.api.${org}.replay`, JSON.stringify(body), { timeout: 10_000 })).json<Reply>();
    const all = await ask({ fromSeq: 1, max: 256 });
    expect(all.entries!.length).toBeGreaterThan(0);
    expect(all.entries!.every((e) => e.subject.startsWith(`moe.evt.${orgA}.`))).toBe(true);
    expect(all.entries!.map((e) => e.subject)).toContain(`moe.evt.${orgA}.w2.agent.t-replay`);
    // org B has journal entries (its org and membership actors), none of which org A sees
    const seqs = all.entries!.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    // from a sequence, one page at a time
    const start = seqs[1]!;
    const page = await ask({ fromSeq: start, max: 1 });
    expect(page.entries!.map((e) => e.seq)).toEqual([start]);
    expect(page.nextSeq).toBe(start + 1);
    const narrow = await ask({ fromSeq: 1, filter: `moe.evt.${orgA}.w2.agent.t-replay` });
    expect(narrow.entries!.length).toBeGreaterThan(0);
    expect(narrow.done).toBe(true);
    // a filter outside the org is refused by the service; another org's service by the server
    expect((await ask({ fromSeq: 1, filter: `moe.evt.${orgB}.>` })).error?.code).toBe(
      'MOE_ERR_REPLAY_REQUEST',
    );
    expect((await ask({ fromSeq: 1, filter: 'moe.evt.>' })).error?.code).toBe('MOE_ERR_REPLAY_REQUEST');
    const other = await refusal(
      nc.request(`moe.api.${orgB}.replay`, JSON.stringify({ fromSeq: 1 }), { timeout: 5000 }),
    );
    expect(other.message).toMatch(/Permissions Violation for Publish to "moe\.api\./);
  }, 90_000);

  it("refuses another org's subjects, the JetStream API and tenancy actors with a permissions error", async () => {
    const nc = await asOrg((await issue(ownerA, orgA)).creds, orgA);
    const js = jetstream(nc);
    const pubB = await refusal(js.publish(`moe.cmd.${orgB}.w1.agent.t1`, '{}', { timeout: 5000 }));
    expect(pubB.message).toMatch(new RegExp(`Permissions Violation for Publish to "moe\\.cmd\\.${orgB}\\.`));

    const subB = nc.subscribe(`moe.evt.${orgB}.>`);
    const subErr = await subB.closed;
    expect(subErr).toBeInstanceOf(Error);
    expect((subErr as Error).message).toMatch(/Permissions Violation for Subscription to "moe\.evt\./);
    const subAll = nc.subscribe('moe.evt.>');
    expect(((await subAll.closed) as Error).message).toMatch(/Permissions Violation for Subscription/);

    // a consumer on B's subjects, or on MOE_EVT at all: the JetStream API is closed to an org
    for (const filter of [`moe.evt.${orgB}.>`, `moe.evt.${orgA}.>`]) {
      const body = JSON.stringify({
        stream_name: 'MOE_EVT',
        config: { filter_subject: filter, ack_policy: 'none' },
      });
      const err = await refusal(nc.request('$JS.API.CONSUMER.CREATE.MOE_EVT', body, { timeout: 5000 }));
      expect(err.message).toMatch(
        /Permissions Violation for Publish to "\$JS\.API\.CONSUMER\.CREATE\.MOE_EVT"/,
      );
    }
    const info = await refusal(nc.request('$JS.API.STREAM.INFO.MOE_EVT', '', { timeout: 5000 }));
    expect(info.message).toMatch(/Permissions Violation for Publish to "\$JS\.API\.STREAM\.INFO/);
    const kv = await refusal(nc.request('$KV.moe_placement.x', '', { timeout: 5000 }));
    expect(kv.message).toMatch(/Permissions Violation for Publish/);

    // the attack of issue 14: member.add {user, role: owner} straight to the membership actor
    const attack = JSON.stringify({
      id: 'c-evil',
      type: 'member.add',
      data: { user: ownerB.id, role: 'owner' },
    });
    for (const subject of [
      `moe.cmd.${orgA}._tenancy.membership.${orgA}`,
      `moe.cmd.${orgB}._tenancy.membership.${orgB}`,
      'moe.cmd._global._tenancy.user.u1',
    ]) {
      const err = await refusal(js.publish(subject, attack, { timeout: 5000 }));
      expect(err.message).toMatch(/Permissions Violation for Publish to "moe\.cmd\./);
    }
    const members = await call<{ members: Array<{ user: string }> }>(
      gw,
      ownerA.auth,
      'GET',
      `/api/orgs/${orgA}/members`,
    );
    expect(members.status).toBe(200);
    expect(members.body.members.map((m) => m.user)).not.toContain(ownerB.id);
    // the connection survived every refusal and still works for its own org
    expect((await js.publish(`moe.cmd.${orgA}.w3.agent.t-still`, '{}')).seq).toBeGreaterThan(0);
  }, 60_000);

  it('gives each service only its rights: the supervisor cannot write tenancy actors, the gateway not the journal', async () => {
    const sup = await connect({
      servers: ns.url,
      authenticator: credsAuthenticator(serviceCreds('supervisor')),
    });
    opened.push(sup);
    const supervisor = await startSupervisor({ nc: sup, port: null, logger: silentPino() });
    await supervisor.stop();
    const err = await refusal(
      jetstream(sup).publish(`moe.cmd.${orgA}._tenancy.membership.${orgA}`, '{}', { timeout: 5000 }),
    );
    expect(err.message).toMatch(/Permissions Violation for Publish to "moe\.cmd\..*\._tenancy/);
    const journal = await refusal(
      jetstream(gwNc).publish(`moe.evt.${orgA}.w1.agent.forged`, '{}', { timeout: 5000 }),
    );
    expect(journal.message).toMatch(/Permissions Violation for Publish to "moe\.evt\./);
  }, 60_000);

  const hasPython = spawnSync('python3', ['-c', 'import cryptography']).status === 0;
  it.skipIf(!hasPython)(
    'a Python client (the docs example, raw NATS protocol) submits a task with its creds file',
    async () => {
      const credsFile = join(authTmp.path, 'a-python.creds');
      const issued = moe(['creds', 'issue', '--org', orgA, '--out', credsFile, '--dir', authTmp.path]);
      expect(issued.code, issued.stderr).toBe(0);
      const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
        const py = spawn(
          'python3',
          [
            resolve(import.meta.dirname, '../../examples/nats_creds_client.py'),
            '--creds',
            credsFile,
            '--org',
            orgA,
            '--ws',
            'py',
            '--task',
            't-py',
            '--other-org',
            orgB,
            'hello from python',
          ],
          { env: { ...process.env, NATS_URL: ns.url }, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let stdout = '';
        let stderr = '';
        py.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        py.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        py.on('close', (code) => done({ code, stdout, stderr }));
      });
      expect(out.code, out.stdout + out.stderr).toBe(0);
      const lines = out.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { puback?: unknown; denied?: string; outcome?: unknown });
      expect(lines.find((l) => l.puback)?.puback).toMatchObject({ stream: 'MOE_CMD' });
      expect(lines.find((l) => l.denied)?.denied).toMatch(
        new RegExp(`Permissions Violation for Publish to "moe\\.cmd\\.${orgB}\\.`),
      );
      expect(lines.find((l) => l.outcome)?.outcome).toMatchObject({ type: 'task.completed' });
    },
    90_000,
  );

  it('revoking a credential cuts it off at once, with no server restart (REST and moe creds revoke)', async () => {
    const pid = ns.pid;
    const doomed = await issue(ownerA, orgA);
    const kept = await issue(ownerA, orgA);
    const nc = await asOrg(doomed.creds, orgA, { maxReconnectAttempts: 3 });
    const statuses: string[] = [];
    void (async () => {
      for await (const s of nc.status())
        statuses.push(`${s.type} ${(s as { error?: Error }).error?.message ?? ''}`);
    })();
    expect((await jetstream(nc).publish(`moe.cmd.${orgA}.w4.agent.t-before`, '{}')).seq).toBeGreaterThan(0);

    const del = await call(gw, ownerA.auth, 'DELETE', `/api/orgs/${orgA}/nats-credentials/${doomed.user}`);
    expect(del.status).toBe(204);
    await eventually(() => (/User Authentication Revoked/.test(statuses.join('\n')) ? true : undefined), {
      timeoutMs: 10_000,
      what: 'the revocation to reach the connection',
    });
    const again = await refusal(asOrg(doomed.creds, orgA));
    expect(again.message).toMatch(/Authorization Violation|authentication/i);
    // another org's admin cannot revoke A's credential
    const foreign = await call(gw, ownerB.auth, 'DELETE', `/api/orgs/${orgB}/nats-credentials/${kept.user}`);
    expect(foreign.status).toBe(404);
    // the other credential of the org still works, on the same server process
    const still = await asOrg(kept.creds, orgA);
    expect((await jetstream(still).publish(`moe.cmd.${orgA}.w4.agent.t-after`, '{}')).seq).toBeGreaterThan(0);
    expect(ns.pid).toBe(pid);

    // the CLI revokes every credential of the org
    const r = moe(['creds', 'revoke', '--org', orgA, '--dir', authTmp.path, '--nats', ns.url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('effective now');
    await eventually(() => (still.isClosed() ? true : undefined), {
      timeoutMs: 10_000,
      what: 'the revoked connection closed',
    });
    const refused = await refusal(asOrg(kept.creds, orgA));
    expect(refused.message).toMatch(/Authorization Violation|authentication/i);
    const listed = moe(['creds', 'list', '--org', orgA, '--dir', authTmp.path]);
    expect(listed.stdout).toContain(`${kept.user}  ${orgA}`);
    expect(
      listed.stdout
        .split('\n')
        .filter((l) => l.trim())
        .every((l) => l.endsWith('revoked')),
    ).toBe(true);
    expect(ns.pid).toBe(pid);
  }, 90_000);
});

function silentPino() {
  const noop = () => undefined;
  const l = {
    info: noop,
    warn: noop,
    error: noop,
    debug: noop,
    trace: noop,
    fatal: noop,
    child: () => l,
    level: 'silent',
  };
  return l as never;
}
