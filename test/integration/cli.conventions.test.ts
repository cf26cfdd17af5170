/**
 * Command-line conventions of `moe`: per-command --help, --version, values checked before anything
 * is sent, errors as `moe: MOE_ERR_…` naming what to change (never a stack), JSON errors under
 * --json, and docs/operations.md listing the same flags as --help.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { resolve } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_HELP } from '../../cli/help.js';
import { toMoeError } from '../../cli/reportError.js';
import { startNatsServer, type NatsServerHandle } from '../harness/index.js';
import { reapAll, runMoe } from './cli.kit.js';

const root = resolve(import.meta.dirname, '..', '..');
let ns: NatsServerHandle;
let nc: NatsConnection;
const held: Server[] = [];
beforeAll(async () => {
  ns = await startNatsServer();
  nc = await connect({ servers: ns.url });
});
afterAll(async () => {
  await reapAll([]);
  for (const s of held) s.close();
  await nc?.close();
  await ns?.stop();
});

describe('moe --help and --version', () => {
  it('prints each command’s own help and exits 0 for `moe <command> --help`', async () => {
    const results = await Promise.all(
      Object.keys(COMMAND_HELP).map(async (cmd) => [cmd, await runMoe([cmd, '--help'])] as const),
    );
    for (const [cmd, r] of results) {
      expect(r.code, `${cmd}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain(`usage: moe ${cmd}`);
    }
  }, 120_000);

  it('prints the package version for --version', async () => {
    const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { version: string };
    const r = await runMoe(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('docs/operations.md lists every flag that --help lists, with the same defaults for host and log level', () => {
    const ops = readFileSync(resolve(root, 'docs/operations.md'), 'utf8');
    for (const [cmd, help] of Object.entries(COMMAND_HELP)) {
      const row = ops.split('\n').find((l) => l.includes(`\`moe ${cmd}`));
      expect(row, `a row for moe ${cmd}`).toBeDefined();
      for (const flag of new Set(help.split('\n')[0]!.match(/--[a-z-]+/g) ?? []))
        expect(row, `moe ${cmd} ${flag}`).toContain(flag);
    }
    expect(ops).toMatch(/`127\.0\.0\.1` for `up` and `supervisor`, `0\.0\.0\.0` for `gateway`/);
  });
});

describe('moe task checks its values before it sends anything', () => {
  it('refuses --timeout abc with a usage error (exit 2) and publishes nothing', async () => {
    const seen: string[] = [];
    const sub = nc.subscribe('moe.cmd.>', { callback: (_e, m) => void seen.push(m.subject) });
    const r = await runMoe([
      'task',
      'x',
      '--org',
      'o',
      '--workspace',
      'w',
      '--wait',
      '--timeout',
      'abc',
      '--nats',
      ns.url,
    ]);
    await nc.flush();
    sub.unsubscribe();
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^moe: MOE_ERR_USAGE: .*--timeout/m);
    expect(seen).toEqual([]);
  }, 60_000);
});

describe('errors under --json', () => {
  it('are one JSON object with the code on stdout, with nothing on stderr', async () => {
    const [down, usage] = await Promise.all([
      runMoe(['task', 'x', '--org', 'o', '--workspace', 'w', '--json', '--nats', 'nats://127.0.0.1:1']),
      runMoe(['task', 'x', '--org', 'o', '--workspace', 'w', '--json', '--timeout', '0', '--nats', ns.url]),
    ]);
    expect(down.code).toBe(1);
    expect(JSON.parse(down.stdout)).toMatchObject({ error: { code: 'MOE_ERR_NATS_UNREACHABLE' } });
    expect(down.stderr).toBe('');
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.stdout)).toMatchObject({
      error: { code: 'MOE_ERR_USAGE', message: expect.stringContaining('--timeout') },
    });
  }, 60_000);
});

describe('errors that used to be raw stack traces', () => {
  it('maps Node’s own errors onto codes that name what to change', () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [
        Object.assign(new TypeError('Invalid URL'), { code: 'ERR_INVALID_URL', input: 'x y' }),
        'MOE_ERR_CONFIG',
        /--nats/,
      ],
      [
        Object.assign(new Error('listen EADDRINUSE'), {
          code: 'EADDRINUSE',
          port: 8090,
          address: '127.0.0.1',
        }),
        'MOE_ERR_PORT_IN_USE',
        /8090.*--supervisor-port/,
      ],
      [
        Object.assign(new RangeError('Port should be >= 0 and < 65536'), { code: 'ERR_SOCKET_BAD_PORT' }),
        'MOE_ERR_USAGE',
        /--port/,
      ],
      [new Error('jwtSecret must be at least 32 characters'), 'MOE_ERR_CONFIG', /MOE_JWT_SECRET/],
      [new Error('something else'), 'MOE_ERR_CLI_UNEXPECTED', /something else/],
    ];
    for (const [err, code, message] of cases) {
      const moe = toMoeError(err);
      expect(moe.code).toBe(code);
      expect(moe.message).toMatch(message);
    }
  });

  it('moe gateway and moe supervisor name the flag for a bad or busy port and a short MOE_JWT_SECRET', async () => {
    const srv = createServer();
    held.push(srv);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const busy = String((srv.address() as { port: number }).port);
    const [badPort, shortSecret, busySupervisor, badUrl] = await Promise.all([
      runMoe(['gateway', '--port', '99999', '--nats', ns.url]),
      runMoe(['gateway', '--port', '0', '--nats', ns.url], { env: { MOE_JWT_SECRET: 'short' } }),
      runMoe(['supervisor', '--port', busy, '--host', '127.0.0.1', '--nats', ns.url]),
      runMoe(['supervisor', '--port', '0', '--nats', 'nats://bad host:1']),
    ]);
    expect(badPort.stderr).toMatch(/^moe: MOE_ERR_USAGE: .*--port/m);
    expect(shortSecret.stderr).toMatch(/^moe: MOE_ERR_CONFIG: .*MOE_JWT_SECRET/m);
    expect(busySupervisor.stderr).toMatch(/^moe: MOE_ERR_PORT_IN_USE: .*--supervisor-port/m);
    expect(badUrl.stderr).toMatch(/^moe: MOE_ERR_USAGE: .*--nats/m);
    for (const r of [badPort, shortSecret, busySupervisor, badUrl]) {
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
  }, 120_000);
});
