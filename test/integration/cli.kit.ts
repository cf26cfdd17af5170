/**
 * Running `moe` (dist/cli/moe.js) as a child process for the CLI tests: to completion, in the
 * background, or inside a pseudo-terminal (util-linux `script`) so that Ctrl-C is a real terminal
 * interrupt to the foreground process group. Every child gets its own process group and is
 * stopped by pid (its group) on cleanup; nats-servers started by `moe up` are found by their store
 * dir under the test's data dir, never by name. Callers always set NATS_URL (a test-owned server or
 * a dead port): tests never touch a shared server on 4222.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MOE_BIN, eventually, exited } from '../harness/index.js';

export interface MoeResult {
  code: number | null;
  /** the signal that ended it, if one did */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** a child stops by itself if this worker dies before its cleanup (cli/stopWithPid.ts) */
function envOf(env: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, MOE_LOG_LEVEL: 'warn', MOE_STOP_WITH_PID: String(process.pid), ...env };
}

const started: ChildProcess[] = [];

/** Runs `moe args` to completion (killed after `timeoutMs`). */
export function runMoe(
  args: string[],
  o: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<MoeResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MOE_BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: envOf(o.env ?? {}),
      detached: true,
      ...(o.cwd ? { cwd: o.cwd } : {}),
    });
    started.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => killGroup(child), o.timeoutMs ?? 60_000);
    // 'close', not 'exit': only then has all of the child's output been read
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface RunningMoe {
  readonly child: ChildProcess;
  /** stdout (and, in a terminal, stderr) so far */
  output(): string;
  /** resolves with the first match of `re` in the output */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** a terminal's Ctrl-C (only for {@link startMoeInTerminal}) */
  ctrlC(): void;
  /** resolves with the exit code */
  exit: Promise<number | null>;
}

function running(child: ChildProcess, terminal: boolean): RunningMoe {
  started.push(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  return {
    child,
    output: () => out,
    exit,
    waitFor: (re, timeoutMs = 60_000) =>
      eventually(() => out.match(re) ?? undefined, { timeoutMs, intervalMs: 50, what: `${re} in\n${out}` }),
    ctrlC() {
      if (!terminal) throw new Error('ctrlC needs startMoeInTerminal');
      child.stdin?.write('\x03');
    },
  };
}

/** `moe args` in the background, in its own process group, stdout and stderr piped. */
export function startMoe(args: string[], env: Record<string, string>): RunningMoe {
  const child = spawn(process.execPath, [MOE_BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: envOf(env),
    detached: true,
  });
  return running(child, false);
}

/** `moe args` in a pseudo-terminal: its stdout is a TTY and `ctrlC()` interrupts it like a user. */
export function startMoeInTerminal(args: string[], env: Record<string, string>): RunningMoe {
  const quoted = [process.execPath, MOE_BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qfec', `exec ${quoted}`, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: envOf(env),
    detached: true,
  });
  return running(child, true);
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** pids of nats-server processes whose JetStream store is under `dataDir` (from /proc). */
export function natsServersOf(dataDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(join('/proc', entry, 'cmdline'), 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!argv[0]?.endsWith('nats-server') || !isAlive(Number(entry))) continue;
    const sd = argv.indexOf('-sd');
    if (sd >= 0 && argv[sd + 1]?.startsWith(dataDir)) pids.push(Number(entry));
  }
  return pids;
}

/** The process exists and is not a zombie (an exited child nobody has reaped yet). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Test cleanup: the groups of every `moe` started here, and any nats-server left under `dataDirs`. */
export async function reapAll(dataDirs: readonly string[]): Promise<void> {
  for (const c of started.splice(0)) {
    killGroup(c);
    await exited(c);
  }
  for (const dir of dataDirs) for (const pid of natsServersOf(dir)) process.kill(pid, 'SIGKILL');
}
