/**
 * Starts a real nats-server with JetStream for one test file (or one bench run): a free port on 127.0.0.1, a mkdtemp
 * store dir, stopped by pid (never by name). Chaos tests `kill()` it and `restart()` it on the same
 * port and store, so the JetStream state survives exactly as it would in production.
 *
 * @example
 *   const ns = await startNatsServer();
 *   const nc = await connect({ servers: ns.url });
 *   ...
 *   await ns.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { freePort } from '../cli/freePort.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface NatsServerHandle {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  readonly pid: number | undefined;
  /** SIGKILL the server (a crash); the store dir is kept. */
  kill(): Promise<void>;
  /** Start it again on the same port and store dir. */
  restart(): Promise<void>;
  /** Stop it and remove the store dir. */
  stop(): Promise<void>;
}

/** The nats-server binary: $NATS_SERVER_BIN, else `nats-server` on PATH, else /usr/sbin/nats-server. */
export function natsServerBinary(): string {
  if (process.env.NATS_SERVER_BIN) return process.env.NATS_SERVER_BIN;
  for (const dir of (process.env.PATH ?? '').split(':').concat('/usr/sbin', '/usr/local/bin')) {
    const candidate = join(dir, 'nats-server');
    if (dir && existsSync(candidate)) return candidate;
  }
  throw new Error(
    'nats-server not found: run `bash scripts/ensure-nats-server.sh` (apt-get install nats-server)',
  );
}

export { freePort };

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const sock = tcpConnect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`nats-server did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function startNatsServer(
  opts: { port?: number; storeDir?: string; jetstream?: boolean } = {},
): Promise<NatsServerHandle> {
  const port = opts.port ?? (await freePort());
  const storeDir = opts.storeDir ?? mkdtempSync(join(tmpdir(), 'moe-nats-'));
  const bin = natsServerBinary();
  let child: ChildProcess;

  const launch = async () => {
    const js = opts.jetstream === false ? [] : ['-js', '-sd', storeDir];
    child = spawn(bin, ['-a', '127.0.0.1', '-p', String(port), ...js], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.resume();
    // If the test or bench process ends without stop() (an uncaught error, process.exit), take the
    // server down with it rather than leave an orphan.
    const current = child;
    const reap = () => current.kill('SIGKILL');
    process.once('exit', reap);
    current.once('exit', () => process.removeListener('exit', reap));
    await waitForPort(port, child, 10_000);
  };
  const exited = (c: ChildProcess) =>
    c.exitCode !== null || c.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((r) => c.once('exit', () => r()));

  await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    get pid() {
      return child.pid;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
    async restart() {
      await launch();
    },
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
