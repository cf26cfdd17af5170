/**
 * The gateway after old journal entries are purged from MOE_EVT (issue 8, bounded journal): the
 * test purges each finished task's agent subject itself (`jsm.streams.purge` with a per-subject
 * filter, keeping the last entry), as the node does behind verified backups. Then a gateway that
 * starts from the usage snapshot reports the same totals as one that folded every turn live; a
 * gateway that starts with the snapshot deleted, or with one older than a purge, says its usage is
 * incomplete (`MOE_ERR_JOURNAL_PURGED` in /readyz, /api/usage and a log line) instead of serving
 * short totals;
 * a stream resumed below what is still held gets `MOE_ERR_CURSOR_PURGED` naming where to resume
 * (410 before a task stream opens, an error frame on a workspace stream), and from there it works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Kvm } from '@nats-io/kv';
import { buildGateway, startGateway, type Gateway, type StartedGateway } from '../../gateway/index.js';
import { eventSubject, KV_BUCKETS, STREAMS } from '../../schemas/index.js';
import { eventually } from '../harness/index.js';
import { call, JWT_SECRET, registerAndLogin, startStack, type Stack } from './gateway.fixture.js';

/** no snapshot is written on a timer during this file: only when a test asks, and on close */
const NO_TIMER = 3_600_000;

let stack: Stack;
let auth: { authorization: string };
let token: string;
let org: string;
let ws: string;
let project: string;
const tasks: string[] = [];
/** per purged task: the first MOE_EVT sequence still held for its agent subject */
const firstHeld = new Map<string, number>();
const started: Gateway[] = [];

interface UsageAnswer {
  complete: boolean;
  incomplete?: { code: string; message: string };
  rows: Record<string, unknown>[];
  total: { runs: number; calls: number; inputTokens: number; outputTokens: number };
}

const script = [
  { text: 'looking', toolCalls: [{ name: 'list_files', input: { path: '.' } }] },
  { text: 'still looking', toolCalls: [{ name: 'list_files', input: { path: '.' } }] },
  { text: 'done' },
];

async function runTask(prompt: string): Promise<string> {
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
  tasks.push(sub.body.id);
  return sub.body.id;
}

const usageOf = async (gw: Gateway) =>
  (await call<UsageAnswer>(gw, auth, 'GET', `/api/usage?org=${org}&project=${project}`)).body;

/** Purges each task's agent subject but its last entry; records what stays held. */
async function purgeTasks(ids: string[]): Promise<void> {
  const jsm = stack.gw.ctx.bus.jsm;
  for (const id of ids) {
    const subject = eventSubject({ org, ws, kind: 'agent', id });
    const { purged } = await jsm.streams.purge(STREAMS.events, { filter: subject, keep: 1 });
    expect(purged).toBeGreaterThan(0);
    const first = await jsm.direct.getMessage(STREAMS.events, { seq: 0, next_by_subj: subject });
    firstHeld.set(id, first!.seq);
  }
}

async function newGateway(lines?: string[]): Promise<Gateway> {
  const gw = await buildGateway({
    nc: stack.nc,
    jwtSecret: JWT_SECRET,
    snapshotIntervalMs: NO_TIMER,
    logger: lines ? { level: 'info', stream: { write: (l) => void lines.push(l) } } : false,
  });
  started.push(gw);
  await eventually(() => (gw.ctx.usage.ready && gw.ctx.tenancy.ready ? true : undefined));
  return gw;
}

beforeAll(async () => {
  stack = await startStack({ gateway: { snapshotIntervalMs: NO_TIMER } });
  const u = await registerAndLogin(stack.gw, 'purger');
  auth = u.auth;
  token = u.token;
  org = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/orgs', { name: 'P' })).body.id;
  ws = (await call<{ id: string }>(stack.gw, auth, 'POST', '/api/workspaces', { org, name: 'w' })).body.id;
  project = (
    await call<{ id: string }>(stack.gw, auth, 'POST', `/api/workspaces/${ws}/projects`, { name: 'p' })
  ).body.id;
}, 120_000);
afterAll(async () => {
  for (const gw of started) await gw.close().catch(() => undefined);
  await stack?.stop();
});

describe('a gateway over a purged journal', () => {
  it('usage totals are the same after a purge when a new gateway starts from the snapshot', async () => {
    await runTask('one');
    await runTask('two');
    await eventually(async () => ((await usageOf(stack.gw)).total.runs === 2 ? true : undefined));
    // the snapshot covers both runs; the run after it is read from the journal by the new gateway
    await stack.gw.ctx.usage.flushSnapshot();
    await purgeTasks(tasks);
    await runTask('three');
    const truth = await eventually(async () => {
      const u = await usageOf(stack.gw);
      return u.total.runs === 3 ? u : undefined;
    });
    expect(truth.total.calls).toBeGreaterThanOrEqual(9);

    const restarted = await newGateway();
    expect(restarted.ctx.usage.snapshotCoverage).not.toBeNull();
    const after = await usageOf(restarted);
    expect(after.complete).toBe(true);
    expect(after.incomplete).toBeUndefined();
    expect(after.total).toEqual(truth.total);
    expect(after.rows).toEqual(truth.rows);
    await restarted.close(); // writes its own snapshot, covering the third run
  }, 180_000);

  it('a gateway that starts after a purge with the snapshot deleted says its usage is incomplete', async () => {
    const kv = await new Kvm(stack.nc).open(KV_BUCKETS.gatewaySnapshots);
    await kv.purge('usage.head');
    const lines: string[] = [];
    const gw = await newGateway(lines);
    expect(gw.ctx.usage.snapshotCoverage).toBeNull();

    const usage = await usageOf(gw);
    expect(usage.complete).toBe(false);
    expect(usage.incomplete?.code).toBe('MOE_ERR_JOURNAL_PURGED');
    const ready = await gw.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    const projections = ready.json<{
      projections: { usage: { complete: boolean; code?: string }; tenancy: { complete: boolean } };
    }>().projections;
    expect(projections.usage).toMatchObject({ complete: false, code: 'MOE_ERR_JOURNAL_PURGED' });
    expect(projections.tenancy.complete).toBe(true);
    const coded = lines.map((l) => JSON.parse(l) as { code?: string; projection?: string });
    expect(coded.some((l) => l.code === 'MOE_ERR_JOURNAL_PURGED' && l.projection === 'usage')).toBe(true);
  }, 120_000);

  it('a gateway whose snapshot is older than a purge says its usage is incomplete', async () => {
    // a fresh snapshot (the previous test deleted it), then a run it does not cover, then its purge
    await stack.gw.ctx.usage.flushSnapshot();
    const four = await runTask('four');
    await purgeTasks([four]);
    const gw = await newGateway();
    expect(gw.ctx.usage.snapshotCoverage).not.toBeNull();
    const usage = await usageOf(gw);
    expect(usage.complete).toBe(false);
    expect(usage.incomplete?.code).toBe('MOE_ERR_JOURNAL_PURGED');
    expect(usage.incomplete?.message).toContain(four);
  }, 120_000);
});

describe('stream resume over a purged journal', () => {
  let live: StartedGateway;
  beforeAll(async () => {
    live = await startGateway({
      nc: stack.nc,
      jwtSecret: JWT_SECRET,
      snapshotIntervalMs: NO_TIMER,
      logger: false,
      port: 0,
      host: '127.0.0.1',
    });
    started.push(live);
    await eventually(() => (live.ctx.tenancy.projects.has(project) ? true : undefined));
  });

  const wsUrl = (path: string, query: string) =>
    `${live.url.replace('http', 'ws')}${path}?access_token=${token}&${query}`;

  /** Frames of a WebSocket until it closes, or the HTTP status that refused the upgrade. */
  function socketFrames(
    url: string,
    until: (frames: Record<string, unknown>[]) => boolean,
  ): Promise<{ status: number; frames: Record<string, unknown>[]; closeCode: number | null }> {
    return new Promise((resolve, reject) => {
      const frames: Record<string, unknown>[] = [];
      const socket = new WebSocket(url);
      socket.on('unexpected-response', (_req, res) =>
        resolve({ status: res.statusCode ?? 0, frames, closeCode: null }),
      );
      socket.on('error', reject);
      socket.on('message', (data) => {
        frames.push(JSON.parse((data as Buffer).toString()) as Record<string, unknown>);
        if (until(frames)) socket.close();
      });
      socket.on('close', (code) => resolve({ status: 101, frames, closeCode: code }));
    });
  }

  it('a task stream resumed below the first held entry is refused with 410 naming where to resume', async () => {
    const task = tasks[0]!;
    const first = firstHeld.get(task)!;
    const sse = await live.app.inject({
      method: 'GET',
      url: `/api/tasks/${task}/stream?since=0`,
      headers: auth,
    });
    expect(sse.statusCode).toBe(410);
    const body = sse.json<{ error: { code: string; details: { firstSeq: number; since: number } } }>();
    expect(body.error.code).toBe('MOE_ERR_CURSOR_PURGED');
    expect(body.error.details).toMatchObject({ firstSeq: first, since: first - 1 });
    // the run's default start is its first turn: that is gone too, and said so
    const whole = await live.app.inject({ method: 'GET', url: `/api/tasks/${task}/stream`, headers: auth });
    expect(whole.statusCode).toBe(410);
    // over WebSocket the same answer comes before the upgrade
    const refused = await socketFrames(wsUrl(`/api/tasks/${task}/stream`, 'since=0'), () => true);
    expect(refused.status).toBe(410);
  });

  it('a task stream resumed at the first held entry streams it', async () => {
    const task = tasks[0]!;
    const since = firstHeld.get(task)! - 1;
    const got = await socketFrames(wsUrl(`/api/tasks/${task}/stream`, `since=${since}`), (frames) =>
      frames.some((f) =>
        (f.events as { type: string }[] | undefined)?.some((e) => e.type === 'task.completed'),
      ),
    );
    expect(got.status).toBe(101);
    expect(got.frames.some((f) => 'error' in f)).toBe(false);
    expect(got.frames[0]?.seq).toBe(since + 1);
  });

  it('a workspace stream resumed below a purge ends with an error frame, and resumes from the sequence it names', async () => {
    // the server ends this stream itself (the client never closes it here)
    const below = await socketFrames(wsUrl(`/api/workspaces/${ws}/events`, 'since=0'), () => false);
    expect(below.status).toBe(101);
    const last = below.frames.at(-1) as { error: { code: string; details: { since: number } } };
    expect(last.error.code).toBe('MOE_ERR_CURSOR_PURGED');
    expect(below.closeCode).toBe(4410);
    const held = [...firstHeld.values()];
    expect(held).toContain(last.error.details.since + 1);
    // every event before the error came before the purged actor's first held entry, in order
    const seqs = below.frames.slice(0, -1).map((f) => f.seq as number);
    expect(seqs.every((s) => s <= last.error.details.since)).toBe(true);

    // over SSE the same condition is an `event: error` frame, after which the server ends the stream
    const sse = await fetch(`${live.url}/api/workspaces/${ws}/events?since=0`, { headers: auth });
    expect(sse.status).toBe(200);
    const text = await sse.text();
    const frame = /event: error\ndata: (.*)\n\n/.exec(text);
    expect(JSON.parse(frame![1]!)).toMatchObject({
      error: { code: 'MOE_ERR_CURSOR_PURGED', details: { since: last.error.details.since } },
    });

    // resuming past every purge point: the kept entries stream with no error
    const since = Math.max(...held) - 1;
    const lastTask = [...firstHeld].find(([, s]) => s === since + 1)![0];
    const after = await socketFrames(wsUrl(`/api/workspaces/${ws}/events`, `since=${since}`), (frames) =>
      frames.some((f) => 'error' in f || (f.actor as { id: string } | undefined)?.id === lastTask),
    );
    expect(after.frames.some((f) => 'error' in f)).toBe(false);
    expect(after.frames.some((f) => (f.actor as { id: string }).id === lastTask)).toBe(true);
  });
});
