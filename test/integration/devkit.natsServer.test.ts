/**
 * The devkit's nats-server never outlives the process that started it: a test worker that is
 * SIGKILLed (no exit handlers run) still takes its server and temp store with it. Chaos controls
 * keep working on the server's own pid: `kill()` crashes it, `restart()` serves the same store again.
 * Uses dist/ (run `npx tsc -p tsconfig.build.json` first).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { eventually, exited, startNatsServer } from '../harness/index.js';

const DEVKIT = resolve(import.meta.dirname, '../../dist/devkit/natsServer.js');

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('the devkit nats-server', () => {
  it('is killed and its temp store removed when the process that started it is SIGKILLed', async () => {
    const script = `import { startNatsServer } from ${JSON.stringify(DEVKIT)};
      const ns = await startNatsServer();
      console.log(JSON.stringify({ pid: ns.pid, storeDir: ns.storeDir }));
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let server: { pid: number; storeDir: string } | undefined;
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      server = JSON.parse(line) as { pid: number; storeDir: string };
      expect(alive(server.pid)).toBe(true);
      expect(existsSync(server.storeDir)).toBe(true);
      child.kill('SIGKILL');
      await exited(child);
      const { pid, storeDir } = server;
      await eventually(() => (alive(pid) || existsSync(storeDir) ? undefined : true), {
        timeoutMs: 10_000,
        what: `nats-server ${pid} gone and ${storeDir} removed`,
      });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (server && alive(server.pid)) process.kill(server.pid, 'SIGKILL');
    }
  });

  it('reports the server pid, crashes it with kill() and serves the same store after restart()', async () => {
    const ns = await startNatsServer();
    try {
      const first = ns.pid!;
      expect(readFileSync(`/proc/${first}/comm`, 'utf8').trim()).toBe('nats-server');
      await ns.kill();
      expect(alive(first)).toBe(false);
      await ns.restart();
      expect(ns.pid).not.toBe(first);
      expect(readFileSync(`/proc/${ns.pid!}/comm`, 'utf8').trim()).toBe('nats-server');
      expect(existsSync(ns.storeDir)).toBe(true);
      const nc = await connect({ servers: ns.url });
      await nc.close();
    } finally {
      await ns.stop();
    }
    expect(existsSync(ns.storeDir)).toBe(false);
  });
});
