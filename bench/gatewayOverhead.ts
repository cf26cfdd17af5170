/**
 * The gateway's per-request cost (`gateway_overhead_ms`): the same `task.submit` reaches the same
 * agent runtime two ways in one run, alternating, one request at a time:
 *
 * - REST: `POST /api/projects/:id/tasks` over HTTP on loopback, one kept-alive connection (node:http),
 *   with a logged-in user's JWT (so the
 *   revocation check and both rate limits run) until the gateway answers 202 — it answers once the
 *   turn that accepted the task is journaled;
 * - NATS: `publishCommand` of the same command to a new agent actor until the turn that accepted
 *   it is seen on MOE_EVT (a core subscription on the workspace's event subjects: it sees the
 *   turn as the node publishes it, before the stream has stored it, and learns no sequence);
 * - NATS, journaled: the same, until the turn is delivered by a JetStream consumer (the kernel's
 *   JournalReader, one for the run, like the gateway's acceptance follower): what a NATS client
 *   pays to know the turn is stored and its MOE_EVT sequence, which the 202 carries.
 *
 * The overhead is REST minus NATS at p50 and p99 (and, as a second figure, REST minus NATS
 * journaled). The three alternate, one request at a time, each leg first in turn. Then the CPU
 * time of the whole process per submit: 150 REST submits, then 150 NATS ones, each phase with the
 * same pacing and waiting for the tasks to finish; the difference is what the gateway (and the
 * HTTP client) spend per request, a figure the machine's load hardly moves. The gateway has its own
 * NATS connection and runs in this process (like `moe up`), on its own private nats-server and
 * workspace-node.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { pino } from 'pino';
import { JournalReader, publishCommand } from '../actors/kernel/index.js';
import { startGateway } from '../gateway/index.js';
import { decodeTurns } from '../schemas/index.js';
import { startWorkspaceNode } from '../workspace-node/index.js';
import { percentile, startBench, waitFor } from './setup.js';

export interface GatewayOverhead {
  rest_p50: number;
  rest_p99: number;
  nats_p50: number;
  nats_p99: number;
  /** NATS with the turn from a JetStream consumer (stored, sequence known) */
  nats_js_p50: number;
  nats_js_p99: number;
  overhead_p50: number;
  overhead_p99: number;
  /** REST minus NATS journaled */
  overhead_js_p50: number;
  /** process CPU per submit (µs): REST, NATS, and the difference */
  cpu_rest_us: number;
  cpu_nats_us: number;
  cpu_overhead_us: number;
  samples: number;
}

const NO_LIMIT = { limit: 1_000_000_000, windowMs: 60_000 };
const round = (x: number) => Number(x.toFixed(2));

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** One request on a kept-alive connection (node:http: the least client-side cost per request). */
function send(agent: Agent, url: string, body: unknown, auth?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

function json<T>(res: Answer, expected: number, what: string): T {
  if (res.status !== expected) throw new Error(`bench: ${what} answered ${res.status}: ${res.body}`);
  return JSON.parse(res.body) as T;
}

export async function gatewayOverhead(samples: number): Promise<GatewayOverhead> {
  const b = await startBench();
  const node = await startWorkspaceNode({
    natsUrl: b.ns.url,
    dataDir: join(b.dataDir, 'gw'),
    idleMs: 3_600_000,
    logger: pino({ level: 'silent' }),
  });
  const gw = await startGateway({
    natsUrl: b.ns.url,
    jwtSecret: randomBytes(32).toString('hex'),
    logger: false,
    port: 0,
    host: '127.0.0.1',
    rateLimits: { perApiKey: NO_LIMIT, perOrg: NO_LIMIT, perUser: NO_LIMIT, perIp: NO_LIMIT },
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const post = (path: string, body: unknown, auth?: string) => send(agent, `${gw.url}${path}`, body, auth);
    const email = 'bench@example.com';
    const password = 'correct horse battery';
    json(await post('/auth/register', { email, password, name: 'bench' }), 201, 'register');
    const { token } = json<{ token: string }>(await post('/auth/login', { email, password }), 200, 'login');
    const auth = `Bearer ${token}`;
    const created = async (path: string, body: unknown) =>
      json<{ id: string }>(await post(path, body, auth), 201, path).id;
    const org = await created('/api/orgs', { name: 'B' });
    const ws = await created('/api/workspaces', { org, name: 'w' });
    const project = await created(`/api/workspaces/${ws}/projects`, { name: 'p' });
    const body = { prompt: 'bench', script: [{ text: 'ok' }] };

    const rest = async (): Promise<number> => {
      const t0 = performance.now();
      const res = await post(`/api/projects/${project}/tasks`, body, auth);
      const took = performance.now() - t0;
      json(res, 202, 'task submit');
      return took;
    };

    const seen = new Map<string, (at: number) => void>();
    const sub = b.nc.subscribe(`moe.evt.${org}.${ws}.agent.>`, {
      callback: (_err, m) => {
        const now = performance.now();
        // decode only while a NATS command is awaited: decoding every REST turn (and the turns of
        // tasks running on) in this shared process would bill the bench's own work to REST
        if (seen.size === 0) return;
        for (const r of decodeTurns(m.data)) seen.get(r.cmd.id)?.(now);
      },
    });
    // the journaled leg: one JetStream consumer on the workspace's agents, decoding only the
    // entries of the actor awaited (as the gateway's follower does)
    const stored = new Map<string, (at: number) => void>();
    const awaitedSubjects = new Set<string>();
    const journal = new JournalReader(b.js, {
      filter: `moe.evt.${org}.${ws}.agent.>`,
      start: { from: 'now' },
      follow: true,
      skip: (subject) => !awaitedSubjects.has(subject),
    });
    await journal.open();
    void (async () => {
      for await (const { rec } of journal.turns()) stored.get(rec.cmd.id)?.(performance.now());
    })().catch(() => undefined);

    let n = 0;
    const natsLeg = async (journaled: boolean): Promise<number> => {
      const id = `${ws}-${project}-t${randomBytes(8).toString('hex')}`;
      const cmdId = `bench-${++n}`;
      const waits = journaled ? stored : seen;
      const subject = `moe.evt.${org}.${ws}.agent.${id}`;
      if (journaled) awaitedSubjects.add(subject);
      const accepted = new Promise<number>((resolve) => waits.set(cmdId, resolve));
      const t0 = performance.now();
      await publishCommand(
        b.js,
        { org, ws, kind: 'agent', id },
        { id: cmdId, type: 'task.submit', data: { ...body, project } },
      );
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('bench: NATS task.submit not accepted in 10 s')), 10_000);
      });
      try {
        return (await Promise.race([accepted, timeout])) - t0;
      } finally {
        clearTimeout(timer);
        waits.delete(cmdId);
        awaitedSubjects.delete(subject);
      }
    };
    const nats = () => natsLeg(false);
    const natsJs = () => natsLeg(true);

    // the gateway learns of the project from the journal; warm up both paths
    await waitFor(() => gw.ctx.tenancy.projects.has(project), 10_000, 'the project in the gateway');
    const pause = () => new Promise((r) => setTimeout(r, 5));
    for (let i = 0; i < 20; i++) {
      await rest();
      await nats();
      await natsJs();
    }
    const restMs: number[] = [];
    const natsMs: number[] = [];
    const natsJsMs: number[] = [];
    const legs = [
      async () => restMs.push(await rest()),
      async () => natsMs.push(await nats()),
      async () => natsJsMs.push(await natsJs()),
    ];
    for (let i = 0; i < samples; i++) {
      // each leg goes first in turn, so none always follows another's background work
      for (let k = 0; k < legs.length; k++) await legs[(i + k) % legs.length]!();
      await pause();
    }

    // CPU per submit: one leg at a time, same pacing, then a pause in which the last tasks finish
    // (a scripted task ends within milliseconds; the idle pause costs both phases the same)
    const cpuPer = async (leg: () => Promise<number>, count: number): Promise<number> => {
      const settle = () => new Promise((r) => setTimeout(r, 300));
      await settle();
      const before = process.cpuUsage();
      for (let i = 0; i < count; i++) {
        await leg();
        await pause();
      }
      await settle();
      const used = process.cpuUsage(before);
      return (used.user + used.system) / count;
    };
    const cpuCount = Math.max(50, Math.floor(samples / 2));
    const cpuRest = await cpuPer(rest, cpuCount);
    const cpuNats = await cpuPer(nats, cpuCount);
    sub.unsubscribe();
    await journal.close();
    const r = [...restMs].sort((x, y) => x - y);
    const q = [...natsMs].sort((x, y) => x - y);
    const j = [...natsJsMs].sort((x, y) => x - y);
    return {
      rest_p50: round(percentile(r, 50)),
      rest_p99: round(percentile(r, 99)),
      nats_p50: round(percentile(q, 50)),
      nats_p99: round(percentile(q, 99)),
      nats_js_p50: round(percentile(j, 50)),
      nats_js_p99: round(percentile(j, 99)),
      overhead_p50: round(percentile(r, 50) - percentile(q, 50)),
      overhead_p99: round(percentile(r, 99) - percentile(q, 99)),
      overhead_js_p50: round(percentile(r, 50) - percentile(j, 50)),
      cpu_rest_us: Math.round(cpuRest),
      cpu_nats_us: Math.round(cpuNats),
      cpu_overhead_us: Math.round(cpuRest - cpuNats),
      samples,
    };
  } finally {
    agent.destroy();
    await gw.close();
    await node.stop();
    await b.close();
  }
}
