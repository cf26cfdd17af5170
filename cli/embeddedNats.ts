/**
 * The embedded default: use the NATS server at NATS_URL when one answers; otherwise start a local
 * nats-server with JetStream (store under <dataDir>/nats) and stop it when we exit. Without a
 * nats-server binary, stop with the exact command that installs one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { freePort } from '../devkit/freePort.js';
import { errors } from './errors.js';

export interface NatsEndpoint {
  readonly url: string;
  readonly nc: NatsConnection;
  /** set when we started the server */
  readonly embedded: { pid: number | undefined; storeDir: string } | null;
  close(): Promise<void>;
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
      servers: url,
      timeout: timeoutMs,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      noAsyncTraces: true,
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
 * @param explicit true when the user chose the URL (flag or NATS_URL): then a server without
 *   JetStream is an error; for the default URL we start our own server on a free port instead
 *   (Debian's packaged nats-server service runs without JetStream).
 */
export async function ensureNats(
  url: string,
  dataDir: string,
  log: (line: string) => void,
  explicit = false,
): Promise<NatsEndpoint> {
  const existing = await tryConnect(url, 1500);
  if (existing) {
    if (await hasJetStream(existing)) {
      log(`NATS: using the server at ${url}`);
      return { url, nc: existing, embedded: null, close: () => existing.drain() };
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
  const child: ChildProcess = spawn(bin, ['-a', host, '-p', port, '-js', '-sd', storeDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const deadline = Date.now() + 10_000;
  let nc: NatsConnection | null = null;
  while (!nc) {
    if (child.exitCode !== null)
      throw errors.NATS_START_FAILED(`nats-server exited with ${child.exitCode}: ${stderr.trim()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw errors.NATS_START_FAILED(`no answer on ${url} within 10 s`);
    }
    nc = await tryConnect(url, 500);
    if (!nc) await new Promise((r) => setTimeout(r, 100));
  }
  log(`NATS: started nats-server (pid ${child.pid}) on ${url}, JetStream store ${storeDir}`);
  const conn = nc;
  return {
    url,
    nc: conn,
    embedded: { pid: child.pid, storeDir },
    async close() {
      await conn.drain().catch(() => undefined);
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    },
  };
}
