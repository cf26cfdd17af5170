/**
 * The embedded default: `moe up` uses a NATS server that answers with JetStream, starts its own
 * when none answers, and does not mistake a server without JetStream (Debian's packaged service)
 * for a usable one.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { ensureNats } from '../../cli/embeddedNats.js';
import { freePort, startNatsServer, tempDir, type NatsServerHandle } from '../harness/index.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

describe('ensureNats', () => {
  it('uses a reachable server that has JetStream', async () => {
    const ns = await startNatsServer();
    cleanup.push(() => ns.stop());
    const lines: string[] = [];
    const ep = await ensureNats(ns.url, tempDir().path, (l) => lines.push(l));
    expect(ep.embedded).toBeNull();
    await ep.close();
    expect(lines[0]).toContain('using the server');
  });

  it('starts its own nats-server with JetStream when nothing answers, and stops it by pid', async () => {
    const url = `nats://127.0.0.1:${await freePort()}`;
    const dir = tempDir();
    cleanup.push(() => dir.remove());
    const ep = await ensureNats(url, dir.path, () => undefined);
    expect(ep.embedded?.pid).toBeGreaterThan(0);
    await (await jetstreamManager(ep.nc)).getAccountInfo();
    await ep.close();
    expect(() => process.kill(ep.embedded!.pid!, 0)).toThrow();
  });

  it('starts its own server when the default one has no JetStream, and refuses an explicit one', async () => {
    const plain: NatsServerHandle = await startNatsServer({ jetstream: false });
    cleanup.push(() => plain.stop());
    const dir = tempDir();
    cleanup.push(() => dir.remove());
    const lines: string[] = [];
    const ep = await ensureNats(plain.url, dir.path, (l) => lines.push(l));
    expect(lines.join('\n')).toContain('has no JetStream');
    expect(ep.url).not.toBe(plain.url);
    await (await jetstreamManager(ep.nc)).getAccountInfo();
    await ep.close();
    await expect(ensureNats(plain.url, dir.path, () => undefined, true)).rejects.toMatchObject({
      code: 'MOE_ERR_NATS_NO_JETSTREAM',
    });
  });

  it('with `own` (the demo without NATS_URL) starts its own server even when one answers at the URL', async () => {
    const shared = await startNatsServer();
    cleanup.push(() => shared.stop());
    const dir = tempDir();
    cleanup.push(() => dir.remove());
    const ep = await ensureNats(shared.url, dir.path, () => undefined, { own: true });
    expect(ep.embedded?.pid).toBeGreaterThan(0);
    expect(ep.url).not.toBe(shared.url);
    await ep.close();
  });
});
