/**
 * The gateway's per-request cost (`gateway_overhead_ms`): the same `task.submit` reaches the same
 * agent runtime two ways in one run, alternating, one request at a time:
 *
 * - REST: `POST /api/projects/:id/tasks` over HTTP on loopback, one kept-alive connection (node:http),
 *   with a logged-in user's JWT (so the
 *   revocation check and both rate limits run) until the gateway answers 202 — it answers once the
 *   turn that accepted the task is journaled;
 * - NATS: `publishCommand` of the same command to a new agent actor until the turn that accepted
 *   it is seen on MOE_EVT (a core subscription on the workspace's event subjects).
 *
 * The overhead is REST minus NATS at p50 and p99. The gateway has its own NATS connection and runs
 * in this process (like `moe up`), on its own private nats-server and workspace-node.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { pino } from 'pino';
import { publishCommand } from '../actors/kernel/index.js';
import { startGateway } from '../gateway/index.js';
import { decodeTurns } from '../schemas/index.js';
import { startWorkspaceNode } from '../workspace-node/index.js';
import { percentile, startBench, waitFor } from './setup.js';

export interface GatewayOverhead {
  rest_p50: number;
  rest_p99: number;
  nats_p50: number;
  nats_p99: number;
  overhead_p50: number;
  overhead_p99: number;
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
    let n = 0;
    const nats = async (): Promise<number> => {
      const id = `${ws}-${project}-t${randomBytes(8).toString('hex')}`;
      const cmdId = `bench-${++n}`;
      const accepted = new Promise<number>((resolve) => seen.set(cmdId, resolve));
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
        seen.delete(cmdId);
      }
    };

    // the gateway learns of the project from the journal; warm up both paths
    await waitFor(() => gw.ctx.tenancy.projects.has(project), 10_000, 'the project in the gateway');
    for (let i = 0; i < 20; i++) {
      await rest();
      await nats();
    }
    const restMs: number[] = [];
    const natsMs: number[] = [];
    for (let i = 0; i < samples; i++) {
      // alternate which goes first, so neither always follows the other's background work
      if (i % 2 === 0) {
        restMs.push(await rest());
        natsMs.push(await nats());
      } else {
        natsMs.push(await nats());
        restMs.push(await rest());
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    sub.unsubscribe();
    const r = [...restMs].sort((x, y) => x - y);
    const q = [...natsMs].sort((x, y) => x - y);
    return {
      rest_p50: round(percentile(r, 50)),
      rest_p99: round(percentile(r, 99)),
      nats_p50: round(percentile(q, 50)),
      nats_p99: round(percentile(q, 99)),
      overhead_p50: round(percentile(r, 50) - percentile(q, 50)),
      overhead_p99: round(percentile(r, 99) - percentile(q, 99)),
      samples,
    };
  } finally {
    agent.destroy();
    await gw.close();
    await node.stop();
    await b.close();
  }
}
