/**
 * Commands in flight at a takeover: a command the previous holder was delivered and never acked
 * (it died right after the delivery) is applied by the next holder at once, not after the
 * consumer's `ack_wait` (30 s by default, MOE_ACK_WAIT_MS). The next holder here has its own data
 * dir; the previous holder's delivery is made by a plain JetStream client that then disconnects,
 * which is what the server sees of a node killed with kill -9.
 */
import { jetstream } from '@nats-io/jetstream';
import { connect, nanos } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { publishCommand } from '../../actors/kernel/index.js';
import { STREAMS, workspaceConsumerName, type ActorAddress } from '../../schemas/index.js';
import { eventually, startPlatform, tempDir, type Platform } from '../harness/index.js';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => p?.close());

const org: ActorAddress = { org: 'inf', ws: 'w', kind: 'org', id: 'o0' };
const add = (id: string) => ({ id, type: 'workspace.add', data: { workspace: id } });
const applied = async (id: string) =>
  (await p.records('moe.evt.inf.w.>')).filter((r) => r.record.cmd.id === id).length;

describe('commands in flight at a takeover', () => {
  it('applies the command a dead holder was delivered at once on the next holder, once, with the configured ack_wait', async () => {
    const first = await p.node({ nodeId: 'inf-a', dataDir: tempDir('moe-inf-a-').path });
    await publishCommand(p.client.js, org, add('c1'));
    await eventually(async () => ((await applied('c1')) === 1 ? true : undefined), { what: 'c1 applied' });
    await first.stop(); // the consumer stays, with everything acked; the lease is released

    // A holder that takes c2 off the consumer and dies before acking it.
    await publishCommand(p.client.js, org, add('c2'));
    const dying = await connect({ servers: p.ns.url });
    const consumer = await jetstream(dying).consumers.get(
      STREAMS.commands,
      workspaceConsumerName('inf', 'w'),
    );
    const delivered = await consumer.next({ expires: 5_000 });
    expect(delivered?.subject).toBe('moe.cmd.inf.w.org.o0');
    await dying.close();
    const info = await p.jsm.consumers.info(STREAMS.commands, workspaceConsumerName('inf', 'w'));
    expect(info.num_ack_pending).toBe(1);
    expect(info.config.ack_wait).toBe(nanos(30_000));

    const dirB = tempDir('moe-inf-b-');
    onTestFinished(() => dirB.remove());
    const t0 = Date.now();
    await p.node({ nodeId: 'inf-b', dataDir: dirB.path, ackWaitMs: 45_000 });
    await eventually(async () => ((await applied('c2')) === 1 ? true : undefined), {
      timeoutMs: 25_000,
      what: 'c2 applied by the next holder',
    });
    const ms = Date.now() - t0;
    // far below the 30 s ack_wait it was delivered under (node start included)
    expect(ms).toBeLessThan(10_000);
    await publishCommand(p.client.js, org, add('c3'));
    await eventually(async () => ((await applied('c3')) === 1 ? true : undefined), { what: 'c3 applied' });
    expect(await applied('c1')).toBe(1);
    expect(await applied('c2')).toBe(1);
    const after = await p.jsm.consumers.info(STREAMS.commands, workspaceConsumerName('inf', 'w'));
    expect(after.config.ack_wait).toBe(nanos(45_000));
    await eventually(
      async () =>
        (await p.jsm.consumers.info(STREAMS.commands, workspaceConsumerName('inf', 'w'))).num_ack_pending ===
        0
          ? true
          : undefined,
      { what: 'everything acked' },
    );
  });
});
