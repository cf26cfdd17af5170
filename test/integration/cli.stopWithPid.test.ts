/**
 * `MOE_STOP_WITH_PID` (cli/stopWithPid.ts): a `moe node` or a `moe up` whose watched process dies
 * stops on its own (`moe up` with its embedded nats-server), saying why, within the bound, so a
 * test worker or supervisor that dies before its cleanup leaves nothing running; a value that is
 * not a pid is refused at start.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STOP_WITH_PID_EXIT_BOUND_MS } from '../../cli/stopWithPid.js';
import { startNatsServer, type NatsServerHandle } from '../../devkit/index.js';
import { eventually, exited, freePort, tempDirs } from '../harness/index.js';
import { isAlive, natsServersOf, reapAll, runMoe, startMoe } from './cli.kit.js';

let ns: NatsServerHandle;
const dirs = tempDirs();

beforeAll(async () => {
  ns = await startNatsServer();
});
afterAll(async () => {
  await reapAll([]);
  await ns?.stop();
  dirs.removeAll();
});

describe('MOE_STOP_WITH_PID', () => {
  it('a node stops by itself when the watched process is gone', async () => {
    // the watched process: it also ends if this worker dies (its stdin, our pipe, closes)
    const watched = spawn('sh', ['-c', 'read _'], { stdio: ['pipe', 'ignore', 'ignore'] });
    try {
      const node = startMoe(
        [
          'node',
          '--nats',
          ns.url,
          '--data-dir',
          dirs.make('moe-stopwith-'),
          '--id',
          'orphan',
          '--http-port',
          'off',
        ],
        { NATS_URL: ns.url, MOE_STOP_WITH_PID: String(watched.pid), MOE_LOG_LEVEL: 'info' },
      );
      await node.waitFor(/workspace-node orphan on/);
      // still running while the watched process lives
      await new Promise((r) => setTimeout(r, 1500));
      expect(node.child.exitCode).toBeNull();
      const t0 = Date.now();
      watched.kill('SIGKILL');
      await exited(watched);
      const code = await node.exit;
      expect(Date.now() - t0).toBeLessThan(STOP_WITH_PID_EXIT_BOUND_MS + 5_000);
      expect(code).toBe(0);
      expect(node.output()).toContain('MOE_STOP_WITH_PID: that process is gone; stopping');
    } finally {
      watched.kill('SIGKILL');
    }
  }, 60_000);

  it('moe up stops, its embedded nats-server with it, when the watched process is gone', async () => {
    const watched = spawn('sh', ['-c', 'read _'], { stdio: ['pipe', 'ignore', 'ignore'] });
    try {
      const dir = dirs.make('moe-stopwith-up-');
      const up = startMoe(['up', '--data-dir', dir, '--port', '0', '--supervisor-port', '0'], {
        NATS_URL: `nats://127.0.0.1:${await freePort()}`,
        MOE_STOP_WITH_PID: String(watched.pid),
      });
      const [, pid] = await up.waitFor(/started nats-server \(pid (\d+)\)/);
      await up.waitFor(/stop\s+Ctrl-C/);
      await new Promise((r) => setTimeout(r, 1500));
      expect(up.child.exitCode).toBeNull();
      const t0 = Date.now();
      watched.kill('SIGKILL');
      await exited(watched);
      const code = await up.exit;
      expect(Date.now() - t0).toBeLessThan(STOP_WITH_PID_EXIT_BOUND_MS + 5_000);
      expect(code).toBe(0);
      expect(up.output()).toContain(`MOE_STOP_WITH_PID: process ${watched.pid} is gone`);
      expect(up.output()).toMatch(/stopped\s*$/);
      await eventually(() => (isAlive(Number(pid)) ? undefined : true), {
        timeoutMs: 10_000,
        what: 'the embedded nats-server to stop',
      });
      expect(natsServersOf(dir)).toEqual([]);
    } finally {
      watched.kill('SIGKILL');
    }
  }, 60_000);

  it('a value that is not a pid is MOE_ERR_CONFIG before anything starts', async () => {
    const r = await runMoe(['node', '--nats', ns.url, '--data-dir', dirs.make('moe-stopwith-bad-')], {
      env: { NATS_URL: ns.url, MOE_STOP_WITH_PID: 'parent' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/MOE_ERR_CONFIG: .*MOE_STOP_WITH_PID must be a pid/);
  });
});
