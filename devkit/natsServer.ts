/**
 * Starts a real nats-server with JetStream for one test file (or one bench run): a free port on 127.0.0.1, a mkdtemp
 * store dir, stopped by pid (never by name). Chaos tests `kill()` it and `restart()` it on the same
 * port and store, so the JetStream state survives exactly as it would in production.
 *
 * The server never outlives the process that started it, however that process ends (a thrown error,
 * `process.exit`, or a SIGKILLed vitest worker that runs no exit handler): it runs under a tiny
 * `sh` watchdog whose stdin is a pipe from us. When we die the kernel closes that pipe, the
 * watchdog's `read` returns, and it SIGKILLs the server and removes a store dir we created.
 *
 * @example
 *   const ns = await startNatsServer();
 *   const nc = await connect({ servers: ns.url });
 *   ...
 *   await ns.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from './freePort.js';

export interface NatsServerHandle {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** the nats-server's own pid (not its watchdog's) */
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

/**
 * `sh -c WATCHDOG <nats-server> <args…>`: starts the server in the background and prints its pid;
 * a reader holding our pipe (fd 3; an asynchronous list's own stdin is /dev/null) waits for EOF,
 * i.e. for us to die, then ignores the TERM below, SIGKILLs the server, waits for it to be gone
 * and removes $MOE_NATS_REAP_DIR (set only for a store dir we created). When the server exits on
 * its own (stop(), kill()) the watchdog stops the reader and exits with the server's status.
 */
const WATCHDOG = [
  'exec 3<&0',
  '"$0" "$@" </dev/null & p=$!',
  'echo "$p"',
  '(read _ <&3; trap "" TERM; kill -9 "$p" 2>/dev/null;' +
    ' while kill -0 "$p" 2>/dev/null; do sleep 0.05; done;' +
    ' [ -n "$MOE_NATS_REAP_DIR" ] && rm -rf "$MOE_NATS_REAP_DIR") &',
  'r=$!',
  'exec 3<&-',
  'wait "$p"; s=$?',
  'kill "$r" 2>/dev/null',
  'exit "$s"',
].join('\n');

/** Spawns the watchdog and resolves the server's pid from its first line of output. */
async function spawnWatched(
  bin: string,
  args: readonly string[],
  reapDir: string | undefined,
): Promise<{ watchdog: ChildProcess; pid: number }> {
  const watchdog = spawn('sh', ['-c', WATCHDOG, bin, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, MOE_NATS_REAP_DIR: reapDir ?? '' },
  });
  watchdog.stderr?.resume();
  // The pipe's write end stays open (and unreferenced) for as long as we live; it is never written.
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  const lines = createInterface({ input: watchdog.stdout });
  const first = await Promise.race([
    once(lines, 'line').then(([l]) => String(l)),
    once(watchdog, 'exit').then(() => ''),
  ]);
  lines.close();
  watchdog.stdout?.resume();
  const pid = Number(first);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`nats-server did not start (${bin})`);
  return { watchdog, pid };
}

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
  opts: {
    port?: number;
    storeDir?: string;
    jetstream?: boolean;
    /** extra nats-server configuration (e.g. `authorization { … }`), kept in the store dir */
    config?: string;
  } = {},
): Promise<NatsServerHandle> {
  const port = opts.port ?? (await freePort());
  const storeDir = opts.storeDir ?? mkdtempSync(join(tmpdir(), 'moe-nats-'));
  const bin = natsServerBinary();
  const configFile = join(storeDir, 'nats.conf');
  if (opts.config !== undefined) writeFileSync(configFile, opts.config);
  let watchdog: ChildProcess;
  let pid: number;

  const launch = async () => {
    const js = opts.jetstream === false ? [] : ['-js', '-sd', storeDir];
    const started = await spawnWatched(
      bin,
      [
        ...(opts.config !== undefined ? ['-c', configFile] : []),
        '-a',
        '127.0.0.1',
        '-p',
        String(port),
        ...js,
      ],
      opts.storeDir ? undefined : storeDir,
    );
    watchdog = started.watchdog;
    pid = started.pid;
    await waitForPort(port, watchdog, 10_000);
  };
  const exited = (c: ChildProcess) =>
    c.exitCode !== null || c.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((r) => c.once('exit', () => r()));
  /** Signals the server itself; the watchdog exits when it does. */
  const signal = async (sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
    await exited(watchdog);
  };

  await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    get pid() {
      return pid;
    },
    async kill() {
      await signal('SIGKILL');
    },
    async restart() {
      await launch();
    },
    async stop() {
      await signal('SIGTERM');
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
