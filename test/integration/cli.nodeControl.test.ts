/**
 * `moe node drain|undrain|list` against a real node: list shows it, drain exits 0 once it hosts
 * nothing (JSON result), undrain lets it take workspaces again, and a node that does not answer
 * is MOE_ERR_NODE_UNREACHABLE (exit 1).
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type Platform, eventually, silent, startPlatform, tempDir } from '../harness/index.js';
import { runMoe } from './cli.kit.js';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => p?.close());

describe('moe node drain|undrain|list', () => {
  it('lists, drains and undrains a node; an unknown node is unreachable', async () => {
    const d = tempDir();
    onTestFinished(() => d.remove());
    const n = await p.node({ nodeId: 'cli-n1', dataDir: d.path, logger: silent, leaseMs: 3000 });
    const r = await p.client.runTask('cn', 'w1', 't1', { prompt: 'hi' }, { timeoutMs: 20_000 });
    expect(r.outcome.type).toBe('task.completed');

    const list = await runMoe(['node', 'list', '--json', '--nats', p.ns.url]);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({ node: 'cli-n1', workspaces: 1, draining: false }),
    ]);

    const drain = await runMoe(['node', 'drain', 'cli-n1', '--json', '--nats', p.ns.url]);
    expect(drain.code, drain.stderr).toBe(0);
    expect(JSON.parse(drain.stdout)).toMatchObject({ node: 'cli-n1', drained: true, stopped: false });
    expect(n.hosts.size).toBe(0);
    expect(n.draining).toBe(true);

    const undrain = await runMoe(['node', 'undrain', 'cli-n1', '--nats', p.ns.url]);
    expect(undrain.code, undrain.stderr).toBe(0);
    expect(undrain.stdout).toContain('cli-n1 takes workspaces again');
    await eventually(() => n.hosts.get('cn.w1'), { timeoutMs: 20_000, what: 'the workspace hosted again' });

    const missing = await runMoe(['node', 'drain', 'no-such-node', '--nats', p.ns.url]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('MOE_ERR_NODE_UNREACHABLE');
    const usage = await runMoe(['node', 'drain', '--nats', p.ns.url]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('MOE_ERR_USAGE');
    await n.stop();
  });
});
