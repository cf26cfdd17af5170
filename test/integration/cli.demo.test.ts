/**
 * `moe up --demo` as a new user meets it: outside a terminal it exits and says the platform has
 * stopped; its printed replay command runs from the clone; in a terminal the platform stays up at
 * the printed URLs until Ctrl-C; and on a shared NATS where another node hosts the demo's
 * workspace it says so instead of printing a log path that does not exist.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, freePort, startPlatform, tempDirs, type Platform } from '../harness/index.js';
import { isAlive, reapAll, runMoe, startMoeInTerminal } from './cli.kit.js';

const root = resolve(import.meta.dirname, '..', '..');
const dirs = tempDirs();
let platform: Platform | undefined;
afterAll(async () => {
  await reapAll(dirs.paths());
  await platform?.close();
  dirs.removeAll();
});

const dataDir = (): string => dirs.make('moe-demo-');

function sh(command: string, cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((done) =>
    execFile('sh', ['-c', command], { cwd, timeout: 60_000 }, (err, stdout, stderr) =>
      done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    ),
  );
}

describe('moe up --demo', () => {
  it('outside a terminal runs the task, says the platform has stopped, and prints a replay command that runs from the clone', async () => {
    const dir = dataDir();
    const r = await runMoe(['up', '--demo', '--data-dir', dir, '--port', '0', '--supervisor-port', '0'], {
      cwd: root,
      env: { NATS_URL: `nats://127.0.0.1:${await freePort()}` },
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/The demo is over and the platform has stopped/);
    // the board part: a card moves into a lane whose 3-agent workflow runs and moves it on, once
    expect(r.stdout).toMatch(/card moved todo → plan/);
    for (const agent of ['ceo', 'strategy', 'storyboard'])
      expect(r.stdout).toMatch(new RegExp(`agent ${agent} completed`));
    expect(r.stdout.match(/card moved plan → done/g), r.stdout).toHaveLength(1);
    expect(r.stdout.match(/created card "[^"]+" in "todo"/g), r.stdout).toHaveLength(3);
    expect(r.stdout).toMatch(/Card c-\S+ is in "Done" with its results/);
    const verify = /^Verify it:\s+(.+)$/m.exec(r.stdout)?.[1];
    expect(verify, r.stdout).toBeDefined();
    const replay = await sh(verify!, root);
    expect(replay.code, replay.out).toBe(0);
    expect(replay.out).toMatch(/OK: replayed state equals the stored snapshots/);
  }, 180_000);

  it('in a terminal keeps the platform up at the printed URLs until Ctrl-C, then stops its nats-server', async () => {
    const dir = dataDir();
    const up = startMoeInTerminal(
      ['up', '--demo', '--data-dir', dir, '--port', '0', '--supervisor-port', '0'],
      {
        NATS_URL: `nats://127.0.0.1:${await freePort()}`,
      },
    );
    const [, pid] = await up.waitFor(/started nats-server \(pid (\d+)\)/, 120_000);
    await up.waitFor(/stays up until Ctrl-C/, 120_000);
    const [, gateway] = await up.waitFor(/gateway\s+(http:\/\/\S+) \(OpenAPI/);
    const [, dashboard] = await up.waitFor(/dashboard\s+(http:\/\/\S+)/);
    expect((await fetch(`${gateway}/healthz`)).status).toBe(200);
    expect((await fetch(`${dashboard}/healthz`)).status).toBe(200);
    up.ctrlC();
    expect(await up.exit, up.output()).toBe(0);
    await eventually(() => (isAlive(Number(pid)) ? undefined : true), { what: 'nats-server gone' });
  }, 180_000);

  it('on a shared NATS whose other node hosts the demo workspace, says so loudly and prints no log path that does not exist', async () => {
    platform = await startPlatform();
    await platform.node({ nodeId: 'other-node' });
    // The other node takes demo.main first (the same command the demo sends first).
    await platform.client.request(
      { org: 'demo', ws: 'main', kind: 'org', id: 'demo' },
      { id: 'org-create-demo', type: 'org.create', data: { name: 'Demo Org' } },
    );
    const dir = dataDir();
    const r = await runMoe(['up', '--demo', '--data-dir', dir, '--port', '0', '--supervisor-port', '0'], {
      env: { NATS_URL: platform.ns.url },
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const [, path] of r.stdout.matchAll(/^(?:Session log|Files written by the agents):\s+(\/\S+)$/gm))
      expect(existsSync(path!), `${path} printed but missing`).toBe(true);
    expect(r.stdout).toMatch(/WARNING .*EXISTING server/);
    expect(r.stdout).toMatch(/hosted by another node on this NATS \(other-node\)/);
  }, 180_000);
});
