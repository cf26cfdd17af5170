/**
 * `moe up` and the nats-server it starts: a bad configuration is refused before anything starts
 * (a code naming the flag or variable, no stack, no server left behind); a terminal's Ctrl-C stops
 * the node cleanly — leases and heartbeat released — before the server, within a bound; and the
 * server does not outlive a `moe` that is killed.
 */
import { statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { MoeClient } from '../../client/index.js';
import { KV_BUCKETS } from '../../schemas/index.js';
import { eventually, freePort, startNatsServer, tempDirs } from '../harness/index.js';
import { isAlive, natsServersOf, reapAll, runMoe, startMoe, startMoeInTerminal } from './cli.kit.js';

const dirs = tempDirs();
const listeners: Server[] = [];
afterAll(async () => {
  await reapAll(dirs.paths());
  for (const l of listeners) l.close();
  dirs.removeAll();
});

const dataDir = (): string => dirs.make('moe-up-');

/** A port some other program holds. */
async function busyPort(): Promise<number> {
  const srv = createServer();
  listeners.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return (srv.address() as { port: number }).port;
}

describe('moe up refuses a bad configuration before it starts anything', () => {
  it('exits non-zero with moe: MOE_ERR_… naming the flag or variable, without a stack, and leaves no nats-server running', async () => {
    const gatewayBusy = await busyPort();
    const supervisorBusy = await busyPort();
    const cases: Array<{ args: string[]; env: Record<string, string>; expect: RegExp }> = [
      { args: [], env: { MOE_JWT_SECRET: 'short' }, expect: /MOE_ERR_CONFIG: .*MOE_JWT_SECRET/ },
      { args: [], env: { MOE_IDLE_MS: 'abc' }, expect: /MOE_ERR_CONFIG: .*MOE_IDLE_MS/ },
      { args: [], env: { MOE_RATE_LIMITS: '{' }, expect: /MOE_ERR_CONFIG: .*MOE_RATE_LIMITS/ },
      { args: [], env: { MOE_LOG_LEVEL: 'loud' }, expect: /MOE_ERR_CONFIG: .*MOE_LOG_LEVEL/ },
      {
        args: [],
        env: { MOE_CORS_ORIGINS: 'https://app.example/' },
        expect: /MOE_ERR_CONFIG: .*MOE_CORS_ORIGINS/,
      },
      { args: ['--port', 'abc'], env: {}, expect: /MOE_ERR_USAGE: .*--port/ },
      { args: ['--port', '99999'], env: {}, expect: /MOE_ERR_USAGE: .*--port/ },
      { args: [], env: { MOE_PORT: '99999' }, expect: /MOE_ERR_CONFIG: .*MOE_PORT/ },
      { args: ['--supervisor-port', '-1'], env: {}, expect: /MOE_ERR_USAGE: .*--supervisor-port/ },
      { args: ['--nats', 'http//not a url'], env: {}, expect: /MOE_ERR_USAGE: .*--nats/ },
      { args: ['--port', String(gatewayBusy)], env: {}, expect: /MOE_ERR_PORT_IN_USE: .*--port/ },
      {
        args: ['--supervisor-port', String(supervisorBusy)],
        env: {},
        expect: /MOE_ERR_PORT_IN_USE: .*--supervisor-port/,
      },
    ];
    const check = async (c: (typeof cases)[number]) => {
      const dir = dataDir();
      const defaults = [
        '--data-dir',
        dir,
        ...(c.args.includes('--port') || c.env.MOE_PORT ? [] : ['--port', '0']),
        ...(c.args.includes('--supervisor-port') ? [] : ['--supervisor-port', '0']),
      ];
      const nats: Record<string, string> = c.args.includes('--nats')
        ? {}
        : { NATS_URL: `nats://127.0.0.1:${await freePort()}` };
      const r = await runMoe(['up', ...defaults, ...c.args], { env: { ...nats, ...c.env } });
      const what = `${JSON.stringify(c)} exit ${r.code} ${r.signal ?? ''}\n${r.stdout}\n${r.stderr}`;
      expect(r.code, what).not.toBe(0);
      expect(r.stderr, what).toMatch(new RegExp(`^moe: ${c.expect.source}`, 'm'));
      expect(r.stderr, what).not.toMatch(/^\s+at /m);
      expect(natsServersOf(dir), what).toEqual([]);
    };
    await Promise.all(cases.map(check));
  }, 180_000);
});

describe('stopping moe up', () => {
  it('on Ctrl-C in a terminal stops in time, releases its leases and heartbeat, and then stops its nats-server', async () => {
    const dir = dataDir();
    const port = await freePort();
    const url = `nats://127.0.0.1:${port}`;
    const up = startMoeInTerminal(['up', '--data-dir', dir, '--port', '0', '--supervisor-port', '0'], {
      NATS_URL: url,
    });
    const [, pid] = await up.waitFor(/started nats-server \(pid (\d+)\)/);
    const [, nodeId] = await up.waitFor(/node\s+(\S+) \(hosts workspaces/);
    await up.waitFor(/stop\s+Ctrl-C/);
    // no MOE_SECRETS_KEY: the webhook-secrets key is generated into the data dir, 0600, said once
    expect(up.output()).toMatch(/secrets\s+generated \S+secrets\.key \(key [0-9a-f]{8}, mode 0600\)/);
    expect(statSync(join(dir, 'secrets.key')).mode & 0o777).toBe(0o600);

    // Host a workspace: the node now holds its placement lease.
    const nc = await connect({ servers: url });
    const { outcome } = await new MoeClient(nc).runTask('o', 'w', 't1', { prompt: 'hello' });
    expect(outcome.type).toBe('task.completed');
    await nc.close();

    const sent = Date.now();
    up.ctrlC();
    const code = await up.exit;
    const tookMs = Date.now() - sent;
    await eventually(() => (isAlive(Number(pid)) ? undefined : true), { what: 'nats-server gone' });

    // First the outcome: the lease and the heartbeat were deleted while the server still ran
    // (read its store back), then the exit code and the bound.
    const ns = await startNatsServer({ port, storeDir: `${dir}/nats` });
    try {
      const check = await connect({ servers: ns.url });
      const kvm = new Kvm(check);
      const lease = await (await kvm.open(KV_BUCKETS.placement)).get('o.w');
      const heartbeat = await (await kvm.open(KV_BUCKETS.nodes)).get(nodeId!);
      expect(lease?.operation ?? 'none', 'lease of o.w').not.toBe('PUT');
      expect(heartbeat?.operation ?? 'none', `heartbeat of ${nodeId}`).not.toBe('PUT');
      await check.close();
    } finally {
      await ns.stop();
    }
    expect(code, up.output()).toBe(0);
    expect(up.output()).toMatch(/stopped/);
    expect(tookMs, up.output()).toBeLessThan(10_000); // STOP_BOUND_MS is 5 s; it used to hang 11–31 s
  }, 120_000);

  it('does not leave its nats-server running when moe itself is killed with SIGKILL', async () => {
    const dir = dataDir();
    const up = startMoe(['up', '--data-dir', dir, '--port', '0', '--supervisor-port', '0'], {
      NATS_URL: `nats://127.0.0.1:${await freePort()}`,
    });
    const [, pid] = await up.waitFor(/started nats-server \(pid (\d+)\)/);
    await up.waitFor(/stop\s+Ctrl-C/);
    up.child.kill('SIGKILL');
    await up.exit;
    await eventually(() => (isAlive(Number(pid)) ? undefined : true), {
      timeoutMs: 20_000,
      what: 'the orphaned nats-server to be stopped by the watchdog',
    });
    expect(natsServersOf(dir)).toEqual([]);
  }, 120_000);
});
