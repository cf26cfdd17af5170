/**
 * One node process per data dir: while a node holds `<dataDir>/node.lock`, `moe node` and `moe up`
 * on that dir refuse with `moe: MOE_ERR_DATA_DIR_LOCKED …` naming the holder's pid and the dir, and
 * exit non-zero (no stack). Stopping the holder releases the lock; a SIGKILLed holder's lock is stale
 * and is taken over. Uses dist/ (run `npx tsc -p tsconfig.build.json` first).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, exited, MOE_BIN, startPlatform, type Platform } from '../harness/index.js';

let p: Platform;
const children: ChildProcess[] = [];
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await p?.close();
});

/** Runs `moe <args>` and resolves its exit code and stderr (or the child, still running). */
function moe(args: string[]): { child: ChildProcess; stderr: () => string; done: Promise<number | null> } {
  const child = spawn(process.execPath, [MOE_BIN, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MOE_LOG_LEVEL: 'warn' },
  });
  children.push(child);
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = exited(child).then(() => child.exitCode);
  return { child, stderr: () => err, done };
}

const lockFile = () => join(p.dataDir, 'node.lock');
const lockPid = () => (JSON.parse(readFileSync(lockFile(), 'utf8')) as { pid: number }).pid;

describe('the data dir lock', () => {
  it('refuses a second node process on a data dir in use, with a code naming the holder', async () => {
    const holder = await p.node({ nodeId: 'holder' });
    expect(lockPid()).toBe(process.pid);

    const node = moe(['node', '--nats', p.ns.url, '--data-dir', p.dataDir, '--id', 'intruder']);
    expect(await node.done).not.toBe(0);
    expect(node.stderr()).toMatch(/^moe: MOE_ERR_DATA_DIR_LOCKED: /);
    expect(node.stderr()).toContain(`pid ${process.pid}`);
    expect(node.stderr()).toContain(p.dataDir);
    expect(node.stderr()).not.toMatch(/\n\s+at /); // no stack

    const up = moe(['up', '--nats', p.ns.url, '--data-dir', p.dataDir]);
    expect(await up.done).not.toBe(0);
    expect(up.stderr()).toContain('moe: MOE_ERR_DATA_DIR_LOCKED');

    await holder.stop();
    expect(existsSync(lockFile())).toBe(false);
  });

  it('is released on stop and taken over from a SIGKILLed holder', async () => {
    const node = moe(['node', '--nats', p.ns.url, '--data-dir', p.dataDir, '--id', 'killed']);
    await eventually(() => (existsSync(lockFile()) && lockPid() === node.child.pid ? true : undefined), {
      what: 'moe node to take the lock',
    });
    node.child.kill('SIGKILL');
    await node.done;
    expect(lockPid()).toBe(node.child.pid); // left behind by the dead process

    const next = await p.node({ nodeId: 'next' });
    expect(lockPid()).toBe(process.pid);
    await next.stop();
    expect(existsSync(lockFile())).toBe(false);
  });
});
