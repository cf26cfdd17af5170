/**
 * Starts a real 3-server JetStream cluster on 127.0.0.1 for one test file (or one bench run): every
 * client, route and monitoring port is a free port, each server has its own mkdtemp store dir and a
 * distinct `server_name`, and all routes list all three servers (the layout of
 * deploy/nats/cluster/n1..n3.conf, ports aside). Each server is a `startNatsServer` handle, so a
 * chaos test can `kill()` one (SIGKILL by pid) and `restart()` it on the same ports and store dir.
 *
 * `ready()` waits until every running server agrees on one JetStream meta leader and reports
 * itself healthy (`/healthz`: JetStream current, streams and consumers caught up).
 *
 * @example
 *   const cluster = await startNatsCluster();
 *   const nc = await connect({ servers: cluster.urls });
 *   ...
 *   await cluster.stop();
 */
import { freePort } from './freePort.js';
import { startNatsServer, type NatsServerHandle } from './natsServer.js';

export interface ClusterServer extends NatsServerHandle {
  /** the `server_name` JetStream reports (stream `cluster.leader`, meta leader) */
  readonly name: string;
  readonly routePort: number;
  readonly httpPort: number;
  /** false between `kill()` and `restart()` */
  readonly running: boolean;
}

export interface NatsClusterHandle {
  readonly servers: readonly ClusterServer[];
  /** every server's client URL, for `connect({ servers })` */
  readonly urls: readonly string[];
  /** the same, comma-separated, for NATS_URL / `--nats` */
  readonly url: string;
  /** the server named `name` (a stream's `cluster.leader`, the meta leader) */
  server(name: string): ClusterServer;
  /** the meta leader as the running servers agree on it, or undefined while they don't */
  metaLeader(): Promise<string | undefined>;
  /** resolves when the running servers agree on a meta leader and all report healthy */
  ready(timeoutMs?: number): Promise<void>;
  /** stops every server and removes their store dirs */
  stop(): Promise<void>;
}

const CLUSTER_NAME = 'moe-test';

async function httpJson(port: number, path: string): Promise<Record<string, unknown> | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) });
    return (await res.json()) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function clusterConfig(name: string, routePort: number, httpPort: number, routes: number[]): string {
  return [
    `server_name: ${name}`,
    `http: 127.0.0.1:${httpPort}`,
    'max_payload: 8MB',
    'cluster {',
    `  name: ${CLUSTER_NAME}`,
    `  listen: 127.0.0.1:${routePort}`,
    `  routes: [${routes.map((p) => `nats-route://127.0.0.1:${p}`).join(', ')}]`,
    '}',
    '',
  ].join('\n');
}

export async function startNatsCluster(opts: { size?: number } = {}): Promise<NatsClusterHandle> {
  const size = opts.size ?? 3;
  const ports = await Promise.all(
    Array.from({ length: size }, async () => ({
      client: await freePort(),
      route: await freePort(),
      http: await freePort(),
    })),
  );
  const routes = ports.map((p) => p.route);
  const servers: ClusterServer[] = [];
  try {
    for (const [i, p] of ports.entries()) {
      const name = `n${i + 1}`;
      const handle = await startNatsServer({
        port: p.client,
        config: clusterConfig(name, p.route, p.http, routes),
      });
      let running = true;
      servers.push({
        name,
        routePort: p.route,
        httpPort: p.http,
        url: handle.url,
        port: handle.port,
        storeDir: handle.storeDir,
        get pid() {
          return handle.pid;
        },
        get running() {
          return running;
        },
        async kill() {
          running = false;
          await handle.kill();
        },
        async restart() {
          await handle.restart();
          running = true;
        },
        async stop() {
          running = false;
          await handle.stop();
        },
      });
    }
  } catch (err) {
    for (const s of servers) await s.stop();
    throw err;
  }

  /** a leader the others still name after it was killed does not count: it must be running */
  const metaLeader = async (): Promise<string | undefined> => {
    const running = servers.filter((s) => s.running);
    const leaders = await Promise.all(
      running.map(async (s) => {
        const jsz = await httpJson(s.httpPort, '/jsz');
        return (jsz?.meta_cluster as { leader?: string } | undefined)?.leader;
      }),
    );
    const first = leaders[0];
    const agreed = first && leaders.every((l) => l === first);
    return agreed && running.some((s) => s.name === first) ? first : undefined;
  };
  const healthy = async (): Promise<boolean> => {
    const all = await Promise.all(
      servers
        .filter((s) => s.running)
        .map(async (s) => (await httpJson(s.httpPort, '/healthz'))?.status === 'ok'),
    );
    return all.every(Boolean);
  };
  /** each running server's /healthz answer, for the message of a cluster that did not get ready */
  const healthReport = async (): Promise<string> => {
    const each = await Promise.all(
      servers
        .filter((s) => s.running)
        .map(
          async (s) => `${s.name} ${JSON.stringify((await httpJson(s.httpPort, '/healthz')) ?? 'no answer')}`,
        ),
    );
    return each.join('; ');
  };
  const cluster: NatsClusterHandle = {
    servers,
    urls: servers.map((s) => s.url),
    url: servers.map((s) => s.url).join(','),
    server(name) {
      const s = servers.find((x) => x.name === name);
      if (!s) throw new Error(`no server named ${name} in the cluster`);
      return s;
    },
    metaLeader,
    async ready(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if ((await metaLeader()) !== undefined && (await healthy())) return;
        if (Date.now() > deadline)
          throw new Error(
            `the NATS cluster had no agreed meta leader / was not healthy within ${timeoutMs} ms ` +
              `(meta leader ${(await metaLeader()) ?? 'none agreed'}; ${await healthReport()})`,
          );
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      for (const s of servers) await s.stop();
    },
  };
  try {
    await cluster.ready();
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
