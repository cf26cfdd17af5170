/**
 * Usage analytics over a real nats-server, workspace-node and gateway: `GET
 * /api/workspaces/:id/usage` groups by day, provider, agent and project and filters [from, to);
 * `GET /api/usage` keeps its answer and gains ws/from/to/groupBy; another org's workspace is 404.
 * No double count and no missed call: a gateway restarted from the snapshot plus the journal after
 * it, and one folding the whole journal again (snapshot deleted), serve the same answers; after the
 * workspace-node is stopped and a new one takes the workspace over (same data directory: its
 * actors are re-activated from their snapshots and the journal), every call is still counted once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kvm } from '@nats-io/kv';
import { buildGateway, startGateway, type Gateway } from '../../gateway/index.js';
import { KV_BUCKETS } from '../../schemas/index.js';
import { startWorkspaceNode } from '../../workspace-node/index.js';
import { eventually } from '../harness/index.js';
import { reapAll, runMoe } from './cli.kit.js';
import { call, JWT_SECRET, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

const NO_TIMER = 3_600_000;
const HOUR = 3_600_000;

let stack: Stack;
let auth: { authorization: string };
let token: string;
let org: string;
let ws: string;
let project: string;
let hourStart: number;
const started: Gateway[] = [];

interface Totals {
  calls: number;
  runs: number;
  failed: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: number | null;
  priceMicros: number | null;
  marginMicros: number | null;
}
interface Answer {
  org: string;
  ws?: string;
  complete: boolean;
  from: string | null;
  to: string | null;
  rows: (Totals & { project: string | null; agent: string; provider: string; model: string })[];
  groups?: (Totals & { key: string | null })[];
  total: Totals;
}

/** three replies: three provider calls per run */
const script = [
  { text: 'looking', toolCalls: [{ name: 'list_files', input: { path: '.' } }] },
  { text: 'still looking', toolCalls: [{ name: 'list_files', input: { path: '.' } }] },
  { text: 'done' },
];

async function runTask(prompt: string): Promise<void> {
  const sub = await call<{ id: string }>(stack.gw, auth, 'POST', `/api/projects/${project}/tasks`, {
    prompt,
    script,
  });
  expect(sub.status).toBe(202);
  await eventually(
    async () =>
      (await call<{ status: string }>(stack.gw, auth, 'GET', `/api/tasks/${sub.body.id}`)).body.status ===
      'done'
        ? true
        : undefined,
    { timeoutMs: 60_000, what: `task ${prompt} to finish` },
  );
}

const get = async (gw: Gateway, url: string) => {
  const res = await call<Answer>(gw, auth, 'GET', url);
  expect(res.status).toBe(200);
  return res.body;
};

/** The workspace's answer once it counts `runs` runs. */
const settled = (gw: Gateway, runs: number, query = 'groupBy=day') =>
  eventually(
    async () => {
      const a = await get(gw, `/api/workspaces/${ws}/usage?${query}`);
      return a.total.runs === runs ? a : undefined;
    },
    { timeoutMs: 30_000, what: `${runs} runs counted` },
  );

async function newGateway(): Promise<Gateway> {
  const gw = await buildGateway({
    nc: stack.nc,
    jwtSecret: JWT_SECRET,
    snapshotIntervalMs: NO_TIMER,
    logger: false,
  });
  started.push(gw);
  await eventually(() => (gw.ctx.usage.ready && gw.ctx.tenancy.ready ? true : undefined));
  return gw;
}

beforeAll(async () => {
  stack = await startStack({ gateway: { snapshotIntervalMs: NO_TIMER } });
  const u = await registerAndLogin(stack.gw, 'analyst');
  auth = u.auth;
  token = u.token;
  org = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/orgs', { name: 'U' })).body.id;
  ws = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/workspaces', { org, name: 'w' })).body.id;
  project = (
    await call<{ id: string }>(stack.gw, auth, 'POST', `/api/workspaces/${ws}/projects`, { name: 'p' })
  ).body.id;
  hourStart = Math.floor(Date.now() / HOUR) * HOUR;
  await runTask('one');
  await runTask('two');
}, 120_000);
afterAll(async () => {
  await reapAll([]);
  for (const gw of started) await gw.close().catch(() => undefined);
  await stack?.stop();
});

describe('usage analytics', () => {
  it('groups a workspace by day, provider, agent and project, with cost, price and margin in µ$', async () => {
    const byDay = await settled(stack.gw, 2);
    expect(byDay).toMatchObject({ org, ws, complete: true, from: null, to: null });
    expect(byDay.total.calls).toBe(6);
    expect(byDay.total.inputTokens).toBeGreaterThan(0);
    // the scripted provider is free: cost and price 0, margin 0
    expect(byDay.total).toMatchObject({ costMicros: 0, priceMicros: 0, marginMicros: 0 });
    const days = byDay.groups!.map((g) => g.key);
    expect(days.every((d) => /^\d{4}-\d{2}-\d{2}$/.test(d!))).toBe(true);
    expect(byDay.groups!.reduce((n, g) => n + g.calls, 0)).toBe(6);
    for (const [by, key] of [
      ['provider', 'scripted'],
      ['agent', 'default'],
      ['project', project],
    ] as const) {
      const a = await get(stack.gw, `/api/workspaces/${ws}/usage?groupBy=${by}`);
      expect(a.groups).toEqual([expect.objectContaining({ key, calls: 6, runs: 2 })]);
    }
    const byModel = await get(stack.gw, `/api/workspaces/${ws}/usage?groupBy=model`);
    expect(byModel.groups).toHaveLength(1);
  });

  it('filters on [from, to): ranges before the calls hold none, ranges around them hold all', async () => {
    const iso = (ms: number) => new Date(ms).toISOString();
    const before = await get(stack.gw, `/api/workspaces/${ws}/usage?to=${iso(hourStart)}`);
    expect(before.total.calls).toBe(0);
    expect(before.to).toBe(iso(hourStart));
    const around = await get(
      stack.gw,
      `/api/workspaces/${ws}/usage?from=${hourStart}&to=${Date.now() + HOUR}`,
    );
    expect(around.total.calls).toBe(6);
    const after = await get(stack.gw, `/api/workspaces/${ws}/usage?from=${iso(Date.now() + 2 * HOUR)}`);
    expect(after.total.calls).toBe(0);
    const bad = await call<{ error: { code: string } }>(
      stack.gw,
      auth,
      'GET',
      `/api/workspaces/${ws}/usage?from=${Date.now()}&to=${hourStart}`,
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('MOE_ERR_BAD_REQUEST');
  });

  it('GET /api/usage keeps its all-time answer and gains ws, from, to and groupBy', async () => {
    const all = await get(stack.gw, `/api/usage?org=${org}`);
    expect(all.total).toMatchObject({ calls: 6, runs: 2, marginMicros: 0 });
    expect(all.rows).toEqual([
      expect.objectContaining({ project, agent: 'default', provider: 'scripted', calls: 6 }),
    ]);
    expect(all).not.toHaveProperty('groups');
    const ranged = await get(stack.gw, `/api/usage?org=${org}&ws=${ws}&from=${hourStart}&groupBy=agent`);
    expect(ranged.total).toEqual(all.total);
    expect(ranged.rows).toEqual(all.rows);
    expect(ranged.groups).toEqual([expect.objectContaining({ key: 'default', calls: 6 })]);
  });

  it('suggestions answer with what they computed and what they could not', async () => {
    const res = await call<{ suggestions: unknown[]; notComputed: { kind: string }[]; priceTable: string }>(
      stack.gw,
      auth,
      'GET',
      `/api/workspaces/${ws}/usage/suggestions`,
    );
    expect(res.status).toBe(200);
    // free scripted calls save nothing
    expect(res.body.suggestions).toEqual([]);
    expect(res.body.notComputed.map((n) => n.kind)).not.toContain('retries-and-429s');
  });

  it("another org's workspace is 404 on every usage route", async () => {
    const other = await registerAndLogin(stack.gw, 'outsider');
    const theirOrg = (await call<{ id: string }>(stack.gw, other.auth, 'POST', '/api/orgs', { name: 'O' }))
      .body.id;
    for (const url of [
      `/api/workspaces/${ws}/usage`,
      `/api/workspaces/${ws}/usage/suggestions`,
      `/api/usage?org=${theirOrg}&ws=${ws}`,
    ]) {
      const res = await call<{ error: { code: string } }>(stack.gw, other.auth, 'GET', url);
      expect(res.status, url).toBe(404);
      expect(res.body.error.code).toBe('MOE_ERR_NOT_FOUND');
    }
    // and their own org shows none of it
    expect(
      (await call<Answer>(stack.gw, other.auth, 'GET', `/api/usage?org=${theirOrg}`)).body.total.calls,
    ).toBe(0);
  });

  it('a restarted gateway (snapshot + journal) and one folding the whole journal count every call once', async () => {
    await stack.gw.ctx.usage.flushSnapshot();
    await runTask('three'); // after the snapshot: read from the journal by the next gateway
    const truth = await settled(stack.gw, 3);
    expect(truth.total.calls).toBe(9);

    const fromSnapshot = await newGateway();
    expect(fromSnapshot.ctx.usage.snapshotCoverage).not.toBeNull();
    expect(await settled(fromSnapshot, 3)).toEqual(truth);
    expect(fromSnapshot.ctx.usage.totalsOf({ org, ws })).toMatchObject({ calls: 9, runs: 3 });
    await fromSnapshot.close(); // writes a snapshot covering the third run

    const kv = await new Kvm(stack.nc).open(KV_BUCKETS.gatewaySnapshots);
    await kv.purge('usage.head');
    const folded = await newGateway();
    expect(folded.ctx.usage.snapshotCoverage).toBeNull();
    expect(await settled(folded, 3)).toEqual(truth);
  }, 120_000);

  it('after the workspace-node is replaced, every call is still counted once', async () => {
    await stack.node?.stop();
    stack.node = await startWorkspaceNode({
      natsUrl: stack.ns.url,
      dataDir: stack.dataDir,
      nodeId: 'gw-test-node-2',
      logger: {
        info() {},
        warn() {},
        error() {},
        debug() {},
        trace() {},
        fatal() {},
        child() {
          return this;
        },
        level: 'silent',
      } as never,
    });
    await runTask('four');
    const after = await settled(stack.gw, 4);
    expect(after.total.calls).toBe(12);
    const fresh = await newGateway();
    expect(await settled(fresh, 4)).toEqual(after);
  }, 120_000);

  it('moe usage prints the same figures from a listening gateway, and keeps its error codes', async () => {
    const live = await startGateway({
      nc: stack.nc,
      jwtSecret: JWT_SECRET,
      snapshotIntervalMs: NO_TIMER,
      logger: false,
      port: 0,
      host: '127.0.0.1',
    });
    started.push(live);
    const truth = await settled(live, 4);
    const env = { MOE_GATEWAY_URL: live.url, MOE_TOKEN: token };
    // the four runs in parallel: each spawn costs seconds on a busy box
    const [json, text, hidden, badFlag] = await Promise.all([
      runMoe(['usage', '--workspace', ws, '--group-by', 'day', '--json'], { env }),
      runMoe(['usage', '--org', org, '--group-by', 'provider'], { env }),
      runMoe(['usage', '--workspace', 'wnope'], { env }),
      runMoe(['usage', '--workspace', ws, '--group-by', 'week'], { env }),
    ]);
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as Answer).total).toEqual(truth.total);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^scripted\s+12\s+4\s/m);
    expect(text.stdout).toMatch(/^total\s+12\s+4\s.*\$0\.000000/m);
    expect(hidden.code).toBe(1);
    expect(hidden.stderr).toContain('MOE_ERR_NOT_FOUND');
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('MOE_ERR_USAGE');
  }, 60_000);
});
