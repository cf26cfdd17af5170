/**
 * The nats-server process `moe up` starts: in its own process group (`detached`), so a terminal's
 * Ctrl-C (SIGINT to the foreground group) reaches `moe` and not the server; stopped by pid only.
 *
 * Three ways it goes away, whatever happens to `moe`:
 *  - `stop(boundMs)`: SIGTERM, then SIGKILL if it has not exited within the bound;
 *  - `moe` exits without stopping it (process.exit after an error): an exit hook SIGKILLs it;
 *  - `moe` is killed (SIGKILL, a crash): a watchdog — `sh` blocked on a pipe from `moe`, in its own
 *    process group too — sees the pipe close and stops the server (SIGTERM, SIGKILL 5 s later).
 */
import { spawn } from 'node:child_process';

const WATCHDOG = [
  "trap '' INT TERM HUP",
  'read -r _',
  'kill -TERM "$1" 2>/dev/null || exit 0',
  'sleep 5',
  'kill -KILL "$1" 2>/dev/null',
  'exit 0',
].join('\n');

export interface NatsServerProcess {
  readonly pid: number | undefined;
  readonly exited: boolean;
  readonly exitCode: number | null;
  /** the last 4 KB of its stderr */
  stderr(): string;
  /** SIGTERM, then SIGKILL after `boundMs`; resolves when it has exited */
  stop(boundMs: number): Promise<void>;
  /** SIGKILL now (the forced path) */
  kill(): void;
}

export function startNatsServerProcess(bin: string, args: readonly string[]): NatsServerProcess {
  const child = spawn(bin, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  let exited = false;
  void gone.then(() => (exited = true));

  const watchdog =
    child.pid === undefined
      ? null
      : spawn('sh', ['-c', WATCHDOG, 'moe-nats-watchdog', String(child.pid)], {
          detached: true,
          stdio: ['pipe', 'ignore', 'ignore'],
        });
  watchdog?.on('error', () => undefined);
  watchdog?.stdin?.on('error', () => undefined);
  watchdog?.unref();

  /** Before we reap the server ourselves: the watchdog must never signal a reused pid. */
  const dismissWatchdog = () => {
    if (watchdog && watchdog.exitCode === null && watchdog.signalCode === null) watchdog.kill('SIGKILL');
  };
  const onExit = () => {
    if (!exited) child.kill('SIGKILL');
    dismissWatchdog();
  };
  process.once('exit', onExit);
  void gone.then(() => {
    process.removeListener('exit', onExit);
    dismissWatchdog(); // a server that exited on its own: its pid may be reused
  });

  return {
    pid: child.pid,
    get exited() {
      return exited;
    },
    get exitCode() {
      return child.exitCode;
    },
    stderr: () => stderr,
    async stop(boundMs) {
      dismissWatchdog();
      if (exited) return;
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([gone, new Promise<void>((r) => (timer = setTimeout(r, boundMs)))]);
      clearTimeout(timer);
      if (!exited) {
        child.kill('SIGKILL');
        await gone;
      }
    },
    kill() {
      dismissWatchdog();
      if (!exited) child.kill('SIGKILL');
    },
  };
}
