/**
 * The gateway's per-request cost (`gateway_overhead_ms`): the same `task.submit` reaches the same
 * agent runtime two ways in one run, alternating, one request at a time (gatewayClients.ts):
 *
 * - REST: `POST /api/projects/:id/tasks` over HTTP on loopback, one kept-alive connection
 *   (node:http), with a logged-in user's JWT (so the revocation check and both rate limits run)
 *   until the gateway answers 202 — it answers once the turn that accepted the task is journaled;
 * - NATS: `publishCommand` of the same command to a new agent actor until the turn that accepted
 *   it is seen on MOE_EVT (a core subscription on the workspace's event subjects);
 * - and, as a second baseline, NATS until a JetStream consumer delivers that turn (stored, with
 *   its MOE_EVT sequence, as the 202 has it).
 *
 * The overhead is REST minus NATS at p50 and p99 (and REST minus NATS journaled at p50). The
 * gateway has its own NATS connection and runs in this process, on its own private nats-server;
 * the workspace node that runs the tasks is a `moe node` child process, as deployed (until
 * 2026-12-03 22:30 UTC it ran in this thread, where its work on each accepted task delayed the
 * gateway's next answers: about 0.4 ms of the p50, measured). The clients run in a worker thread (their own event loop, as a
 * real client's); `sharedLoop` runs them in the gateway's thread instead (the figure measured
 * before 2026-12-03 19:00 UTC). Last, the CPU time per submit of the whole process, REST and NATS
 * one leg at a time: their difference is what the gateway and the HTTP client spend per request.
 */
import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { startGateway } from '../gateway/index.js';
import { spawnBenchNode } from './nodeProcess.js';
import { json, runClientsInWorker, runGatewayClients, send, type ClientPlan } from './gatewayClients.js';
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
  /** where the clients ran: a worker thread, or the gateway's own thread */
  clients: 'worker' | 'shared loop';
  samples: number;
}

const NO_LIMIT = { limit: 1_000_000_000, windowMs: 60_000 };
const round = (x: number) => Number(x.toFixed(2));

export async function gatewayOverhead(
  samples: number,
  opts: { sharedLoop?: boolean } = {},
): Promise<GatewayOverhead> {
  const b = await startBench();
  const node = await spawnBenchNode(b.nc, b.ns.url, join(b.dataDir, 'gw'), 'bench-gw-node', {
    MOE_IDLE_MS: '3600000',
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
    agent.destroy();
    // the gateway learns of the project from the journal
    await waitFor(() => gw.ctx.tenancy.projects.has(project), 10_000, 'the project in the gateway');

    const plan: ClientPlan = { gatewayUrl: gw.url, natsUrl: b.ns.url, auth, org, ws, project, samples };
    const t = opts.sharedLoop ? await runGatewayClients(plan) : await runClientsInWorker(plan);
    const r = [...t.restMs].sort((x, y) => x - y);
    const q = [...t.natsMs].sort((x, y) => x - y);
    const j = [...t.natsJsMs].sort((x, y) => x - y);
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
      cpu_rest_us: Math.round(t.cpuRestUs),
      cpu_nats_us: Math.round(t.cpuNatsUs),
      cpu_overhead_us: Math.round(t.cpuRestUs - t.cpuNatsUs),
      clients: opts.sharedLoop ? 'shared loop' : 'worker',
      samples,
    };
  } finally {
    agent.destroy();
    await gw.close();
    await node.stop();
    await b.close();
  }
}
