/**
 * The embedded default: use the NATS server at NATS_URL when one answers; otherwise start a local
 * nats-server with JetStream (store under <dataDir>/nats) and stop it when we exit. The server we
 * start is open (no authentication) and listens on the URL's host, loopback by default: for
 * per-org credentials run your own server with `moe creds init`'s config (docs/deploy.md). Without a
 * nats-server binary, stop with the exact command that installs one.
 *
 * The server we start runs in its own process group (a terminal's Ctrl-C reaches `moe`, not the
 * server, so `moe` can stop its node cleanly before the server goes), is stopped by pid last and
 * within a bound, and is watched by a tiny shell watchdog that stops it if `moe` itself dies
 * without stopping it (SIGKILL, a crash).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { freePort } from '../devkit/index.js';
import { natsServers } from '../actors/kernel/index.js';
import { errors } from './errors.js';
import { startNatsServerProcess } from './natsServerProcess.js';
import { natsAuthOptions } from '../actors/kernel/index.js';

export interface NatsEndpoint {
  readonly url: string;
  readonly nc: NatsConnection;
  /** set when we started the server */
  readonly embedded: { pid: number | undefined; storeDir: string } | null;
  /** drain the connection, then stop the server we started (SIGTERM, SIGKILL after `boundMs`) */
  close(boundMs?: number): Promise<void>;
  /** stop the server we started at once (SIGKILL), without draining: the forced path */
  kill(): void;
}

export interface EnsureNatsOptions {
  /** the user chose the URL (flag or NATS_URL): a server there without JetStream is an error */
  readonly explicit?: boolean;
  /** do not use a server that answers: start our own on a free port (the demo's default) */
  readonly own?: boolean;
}

export function findNatsServer(): string | null {
  if (process.env.NATS_SERVER_BIN) return process.env.NATS_SERVER_BIN;
  for (const dir of (process.env.PATH ?? '').split(':').concat('/usr/sbin', '/usr/local/bin', '/usr/bin')) {
    if (dir && existsSync(join(dir, 'nats-server'))) return join(dir, 'nats-server');
  }
  return null;
}

async function tryConnect(url: string, timeoutMs: number): Promise<NatsConnection | null> {
  try {
    // noAsyncTraces: no Error (stack capture) per request on the node's hot path.
    return await connect({
      servers: natsServers(url),
      timeout: timeoutMs,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      noAsyncTraces: true,
      ...natsAuthOptions(),
    });
  } catch {
    return null;
  }
}

async function hasJetStream(nc: NatsConnection): Promise<boolean> {
  try {
    await (await jetstreamManager(nc, { timeout: 2000 })).getAccountInfo();
    return true;
  } catch {
    return false;
  }
}

/**
 * @param opts `explicit`: the user chose the URL; then a server without JetStream is an error,
 *   while for the default URL we start our own server on a free port instead (Debian's packaged
 *   nats-server service runs without JetStream). `own`: start our own server on a free port
 *   without looking at the URL. A boolean is `explicit`.
 */
export async function ensureNats(
  url: string,
  dataDir: string,
  log: (line: string) => void,
  opts: boolean | EnsureNatsOptions = {},
): Promise<NatsEndpoint> {
  const { explicit = false, own = false } = typeof opts === 'boolean' ? { explicit: opts } : opts;
  if (own) return startEmbedded(`nats://127.0.0.1:${await freePort()}`, dataDir, log);
  const existing = await tryConnect(url, 1500);
  if (existing) {
    if (await hasJetStream(existing)) {
      log(`NATS: using the server at ${url}`);
      return {
        url,
        nc: existing,
        embedded: null,
        close: (boundMs = 5000) => withBound(existing.drain(), boundMs),
        kill: () => void existing.close(),
      };
    }
    await existing.close();
    if (explicit)
      throw errors.NATS_NO_JETSTREAM(
        `${url}: enable JetStream (nats-server -js) or point NATS_URL elsewhere`,
      );
    const fallback = `nats://127.0.0.1:${await freePort()}`;
    log(`NATS: the server at ${url} has no JetStream; starting our own on ${fallback}`);
    return startEmbedded(fallback, dataDir, log);
  }
  return startEmbedded(url, dataDir, log);
}

/** Resolves when `p` settles or after `ms`, whichever is first (never rejects). */
function withBound(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.then(
      () => undefined,
      () => undefined,
    ),
    new Promise<void>((r) => (timer = setTimeout(r, ms))),
  ]).finally(() => clearTimeout(timer));
}

async function startEmbedded(
  url: string,
  dataDir: string,
  log: (line: string) => void,
): Promise<NatsEndpoint> {
  const bin = findNatsServer();
  if (!bin) {
    throw errors.NATS_SERVER_MISSING(
      'install it with `apt-get update && apt-get install -y nats-server` (Debian/Ubuntu, as root) or run `bash scripts/ensure-nats-server.sh`, or point NATS_URL at a running server',
    );
  }
  const parsed = new URL(url.replace(/^nats:/, 'http:'));
  const port = parsed.port || '4222';
  const host = parsed.hostname || '127.0.0.1';
  const storeDir = resolve(dataDir, 'nats');
  mkdirSync(storeDir, { recursive: true });
  const server = startNatsServerProcess(bin, ['-a', host, '-p', port, '-js', '-sd', storeDir]);
  const deadline = Date.now() + 10_000;
  let nc: NatsConnection | null = null;
  while (!nc) {
    if (server.exited) {
      await server.stop(0);
      const fatal = server
        .stderr()
        .split('\n')
        .filter((l) => /\[(FTL|ERR)\]/.test(l))
        .join('\n');
      throw errors.NATS_START_FAILED(
        `nats-server exited with ${server.exitCode}: ${fatal || server.stderr().trim().split('\n').slice(-3).join('\n')}`,
      );
    }
    if (Date.now() > deadline) {
      await server.stop(0);
      throw errors.NATS_START_FAILED(`no answer on ${url} within 10 s`);
    }
    nc = await tryConnect(url, 500);
    if (!nc) await new Promise((r) => setTimeout(r, 100));
  }
  log(`NATS: started nats-server (pid ${server.pid}) on ${url}, JetStream store ${storeDir}`);
  // the embedded server has no authentication (docs/deploy.md, "Per-org NATS credentials")
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host))
    log(
      `NATS: warning: ${host} is not loopback and this server has no authentication: anyone who reaches it can read and write every org`,
    );
  const conn = nc;
  return {
    url,
    nc: conn,
    embedded: { pid: server.pid, storeDir },
    async close(boundMs = 5000) {
      await withBound(conn.drain(), Math.min(2000, boundMs));
      await server.stop(boundMs);
    },
    kill() {
      void conn.close().catch(() => undefined);
      server.kill();
    },
  };
}
