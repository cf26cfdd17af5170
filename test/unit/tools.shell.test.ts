/** shell: off unless enabled; when on, confined cwd, minimal env, capped output, group killed on timeout. */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createToolset, type ToolContext } from '../../workspace-node/tools/index.js';
import { eventually, tempDir } from '../harness/index.js';

let ws: ReturnType<typeof tempDir>;
let ctx: ToolContext;

beforeEach(() => {
  ws = tempDir('moe-ws-');
  ctx = { root: ws.path, producer: { address: 'agent/a1', effectId: 'e1' } };
});
afterEach(() => ws.remove());

/** true while the process exists and is not a zombie (PID 1 in a container may not reap it) */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('shell tool', () => {
  it('is off by default: not offered to the model, and refused without running anything', async () => {
    const toolset = createToolset();
    expect(toolset.get('shell')).toBeUndefined();
    expect(toolset.definitions().map((d) => d.name)).not.toContain('shell');
    const result = await toolset.run('shell', { command: 'touch ran.txt' }, ctx);
    expect(result).toMatchObject({ isError: true, code: 'MOE_ERR_TOOL_DISABLED' });
    expect(existsSync(join(ws.path, 'ran.txt'))).toBe(false);
  });

  it('runs in the workspace root when enabled and reports the exit code', async () => {
    const toolset = createToolset({ shell: { enabled: true } });
    const result = await toolset.run('shell', { command: 'pwd && echo hi > made.txt' }, ctx);
    expect(result).toEqual({ output: `${realpathSync(ws.path)}\n[exit code 0]`, isError: false });
    expect(readFileSync(join(ws.path, 'made.txt'), 'utf8')).toBe('hi\n');
    const failed = await toolset.run('shell', { command: 'echo oops >&2; exit 3' }, ctx);
    expect(failed).toEqual({ output: 'oops\n[exit code 3]', isError: true });
  });

  it('kills the whole process group on timeout', async () => {
    const toolset = createToolset({ shell: { enabled: true, timeoutMs: 300 } });
    const started = Date.now();
    const result = await toolset.run(
      'shell',
      { command: 'sleep 30 & echo $! > bg.pid; echo started; sleep 30' },
      ctx,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result).toMatchObject({ isError: true, code: 'MOE_ERR_TOOL_TIMEOUT' });
    expect(result.output).toContain('killed after 300 ms');
    expect(result.output).toContain('started');
    const bgPid = Number(readFileSync(join(ws.path, 'bg.pid'), 'utf8'));
    await eventually(() => (alive(bgPid) ? undefined : true), {
      timeoutMs: 5_000,
      what: `background job ${bgPid} to die`,
    });
  });

  it('does not let a background job outlive a command that exited', async () => {
    const toolset = createToolset({ shell: { enabled: true, timeoutMs: 10_000 } });
    const started = Date.now();
    const result = await toolset.run('shell', { command: 'sleep 30 & echo $!' }, ctx);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result.isError).toBe(false);
    // The process group is killed when the shell exits; the kill lands asynchronously.
    const pid = Number(result.output.split('\n')[0]);
    await eventually(() => (alive(pid) ? undefined : true), {
      timeoutMs: 5_000,
      what: `background job ${pid} to die`,
    });
  });

  it('passes a minimal environment without inherited secrets', async () => {
    process.env.MOE_TEST_SECRET_API_KEY = 'sk-should-not-leak';
    try {
      const toolset = createToolset({ shell: { enabled: true, env: { PROJECT_FLAG: 'on' } } });
      const result = await toolset.run('shell', { command: 'env' }, ctx);
      expect(result.output).not.toContain('sk-should-not-leak');
      expect(result.output).not.toContain('API_KEY');
      expect(result.output).toContain('PROJECT_FLAG=on');
      expect(result.output).toContain(`HOME=${realpathSync(ws.path)}`);
    } finally {
      delete process.env.MOE_TEST_SECRET_API_KEY;
    }
  });

  it('caps the output and says it was truncated', async () => {
    const toolset = createToolset({ shell: { enabled: true, maxOutputBytes: 1000 } });
    const result = await toolset.run('shell', { command: 'head -c 100000 /dev/zero | tr "\\0" x' }, ctx);
    expect(result.output).toContain('[output truncated at 1000 bytes]');
    expect(result.output.length).toBeLessThan(1200);
  });

  it('throws when the caller aborts, so no result is journaled for a cancelled call', async () => {
    const toolset = createToolset({ shell: { enabled: true } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('passivated')), 100);
    await expect(
      toolset.run('shell', { command: 'sleep 30' }, { ...ctx, signal: controller.signal }),
    ).rejects.toThrow('passivated');
  });
});
