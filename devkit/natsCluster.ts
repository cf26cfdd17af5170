/**
 * Starts a real 3-server JetStream cluster on 127.0.0.1 for one test file (or one bench run): every
 * client, route and monitoring port is a free port, each server has its own mkdtemp store dir and a
 * distinct `server_name`, and all routes list all three servers (the layout of
 * deploy/nats/cluster/n1..n3.conf, ports aside). Each server is a `startNatsServer` handle, so a
 * chaos test can `kill()` one (SIGKILL by pid) and `restart()` it on the same ports and store dir.
 *
 * `ready()` waits until every running server agrees on one JetStream meta leader and has reported
 * itself healthy since the call (`/healthz`: JetStream current, streams and consumers caught up).
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
  /**
   * resolves when the running servers agree on a meta leader and each has reported healthy at least
   * once since the call (a busy server's health flickers: all of them at once is rarer than each)
   */
  ready(timeoutMs?: number, options?: ReadyOptions): Promise<void>;
  /** stops every server and removes their store dirs */
  stop(): Promise<void>;
}

const CLUSTER_NAME = 'moe-test';

/** a /healthz answer */
interface Health {
  status?: string;
  error?: string;
}

/** the /healthz error of a server whose JetStream, meta group and streams checked out before one
 * consumer's Raft replica was found behind its leader (nats-server 2.9 checks in that order) */
const CONSUMER_NOT_CURRENT = /^JetStream consumer '.*' is not current$/;

export interface ReadyOptions {
  /**
   * After this long, a server whose only complaint is a consumer replica that is not current counts
   * as ready. Under a steady load on a busy box, a restarted 2.9 server can report one busy
   * consumer "not current" for over a minute (its applied index trails the commits while acks keep
   * coming); the stream and meta checks, which healthz runs first, have passed by then.
   */
  consumerLagToleratedAfterMs?: number;
  /** told which servers were let through on that rule, and why */
  onConsumerLag?: (report: string) => void;
}

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
  /** each running server's /healthz answer (undefined: no answer) */
  const healthOfEach = async (): Promise<Array<{ name: string; health: Health | undefined }>> =>
    Promise.all(
      servers
        .filter((s) => s.running)
        .map(async (s) => ({
          name: s.name,
          health: (await httpJson(s.httpPort, '/healthz')) as Health | undefined,
        })),
    );
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
    async ready(timeoutMs = 30_000, options: ReadyOptions = {}) {
      const started = Date.now();
      const deadline = started + timeoutMs;
      const wasHealthy = new Set<string>();
      for (;;) {
        const leader = await metaLeader();
        const each = await healthOfEach();
        for (const { name, health } of each) if (health?.status === 'ok') wasHealthy.add(name);
        const behind = each.filter(({ name }) => !wasHealthy.has(name));
        if (leader !== undefined && behind.length === 0) return;
        const lenientAfter = options.consumerLagToleratedAfterMs;
        if (
          leader !== undefined &&
          lenientAfter !== undefined &&
          Date.now() - started >= lenientAfter &&
          behind.every(({ health }) => CONSUMER_NOT_CURRENT.test(health?.error ?? ''))
        ) {
          options.onConsumerLag?.(behind.map(({ name, health }) => `${name}: ${health?.error}`).join('; '));
          return;
        }
        if (Date.now() > deadline)
          throw new Error(
            `the NATS cluster had no agreed meta leader / was not healthy within ${timeoutMs} ms ` +
              `(meta leader ${leader ?? 'none agreed'}; ` +
              `${each.map(({ name, health }) => `${name} ${JSON.stringify(health ?? 'no answer')}`).join('; ')})`,
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
