/**
 * `shell`: runs `/bin/sh -c <command>` in the workspace root. OFF unless the project enables it
 * (`createToolset({ shell: { enabled: true } })`), and a natural candidate for approval.
 *
 * What it guarantees: the working directory is the workspace root; the environment is minimal and
 * inherits nothing from the workspace-node (no `*_API_KEY`, no cloud credentials) — only a fixed
 * PATH, HOME = the root, LANG, TERM and what the project passes in `env`; the command runs in its
 * own process group, which is killed (SIGKILL) on timeout, on abort, and when the shell exits (no
 * stray background job outlives the call); stdout and stderr are capped at `maxOutputBytes`.
 * A timeout is a tool result (`MOE_ERR_TOOL_TIMEOUT`, with the output so far); an abort through
 * `ctx.signal` throws the signal's reason, since the caller cancelled and wants no result.
 *
 * What it does NOT do: sandbox. This is confinement of the cwd only. The command runs as the
 * workspace-node's user and can read or write any path that user can (`cat /etc/passwd`,
 * `cd ..`), open network connections, and create symlinks that the file tools then refuse to
 * follow. Enable it only for trusted projects or run the workspace-node inside a container/VM
 * that provides the isolation.
 */
import { spawn } from 'node:child_process';
import { Type } from '@sinclair/typebox';
import { errors } from '../errors.js';
import { workspaceRoot } from './confine.js';
import { defineTool } from './defineTool.js';
import type { Tool } from './tool.js';

export interface ShellOptions {
  /** the shell tool exists only when true (default false) */
  readonly enabled: boolean;
  /** wall-clock limit of one command (default 30 s) */
  readonly timeoutMs?: number;
  /** bytes of combined stdout+stderr kept (default 64 KiB) */
  readonly maxOutputBytes?: number;
  /** extra environment variables, set explicitly by the project (nothing is inherited) */
  readonly env?: Readonly<Record<string, string>>;
}

/** how long to wait for the pipes to close after the shell exited */
const CLOSE_GRACE_MS = 1_000;

const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const ShellInput = Type.Object(
  {
    command: Type.String({ minLength: 1, description: 'a /bin/sh command line, run in the workspace root' }),
  },
  { additionalProperties: false },
);

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already gone
  }
}

export function createShellTool(options: Omit<ShellOptions, 'enabled'> = {}): Tool {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxOutputBytes = options.maxOutputBytes ?? 64 * 1024;
  return defineTool({
    name: 'shell',
    description:
      `Run a /bin/sh command with the workspace root as the working directory (time limit ${timeoutMs} ms, ` +
      `output capped at ${maxOutputBytes} bytes). Returns combined stdout and stderr and the exit code.`,
    inputSchema: ShellInput,
    async run(input, ctx) {
      const cwd = await workspaceRoot(ctx.root);
      const env = { PATH: SAFE_PATH, HOME: cwd, PWD: cwd, LANG: 'C.UTF-8', TERM: 'dumb', ...options.env };
      const child = spawn('/bin/sh', ['-c', input.command], {
        cwd,
        env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
      const chunks: Buffer[] = [];
      let kept = 0;
      let truncated = false;
      const collect = (chunk: Buffer) => {
        const room = maxOutputBytes - kept;
        if (chunk.length > room) truncated = true;
        if (room > 0) {
          chunks.push(chunk.subarray(0, room));
          kept += Math.min(room, chunk.length);
        }
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);

      let stopped: 'timeout' | 'aborted' | undefined;
      const timer = setTimeout(() => {
        stopped = 'timeout';
        killGroup(child.pid);
      }, timeoutMs);
      const onAbort = () => {
        stopped = 'aborted';
        killGroup(child.pid);
      };
      ctx.signal?.addEventListener('abort', onAbort, { once: true });
      if (ctx.signal?.aborted) onAbort();

      const exit = await new Promise<{
        code: number | null;
        signal: NodeJS.Signals | null;
        spawnError?: Error;
      }>((resolve) => {
        child.once('error', (spawnError) => resolve({ code: null, signal: null, spawnError }));
        child.once('exit', (code, signal) => {
          killGroup(child.pid); // background jobs would otherwise hold the pipes open
          resolve({ code, signal });
        });
      });
      clearTimeout(timer);
      ctx.signal?.removeEventListener('abort', onAbort);
      if (exit.spawnError) throw exit.spawnError; // /bin/sh missing: infrastructure, not the model's doing
      // A process that left the group (setsid) may still hold the pipes: wait briefly, then cut them.
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([
        closed,
        new Promise<void>((resolve) => (grace = setTimeout(resolve, CLOSE_GRACE_MS))),
      ]);
      clearTimeout(grace);
      child.stdout.destroy();
      child.stderr.destroy();
      if (stopped === 'aborted') throw ctx.signal?.reason ?? new Error('shell command aborted');

      let output = Buffer.concat(chunks).toString('utf8');
      if (truncated) output += `\n[output truncated at ${maxOutputBytes} bytes]`;
      if (stopped === 'timeout') {
        const err = errors.TOOL_TIMEOUT(`command killed after ${timeoutMs} ms`);
        return { output: `${err.code}: ${err.message}\n${output}`, isError: true, code: err.code };
      }
      const status = exit.code !== null ? `exit code ${exit.code}` : `killed by ${exit.signal ?? 'a signal'}`;
      return {
        output: `${output}${output.endsWith('\n') || output === '' ? '' : '\n'}[${status}]`,
        isError: exit.code !== 0,
      };
    },
  });
}
