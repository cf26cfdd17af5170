/**
 * Commands delivered to a live lease holder that never reach it are delivered again at once, not
 * after the consumer's `ack_wait`. A "thief" (a plain JetStream client with a pull queued on the
 * workspace's consumer before the node's) takes a command off the consumer and never acks it:
 * what the server sees of a delivery lost in a dying socket. The node sees the next delivery's
 * number jump (a gap), or, when nothing follows, finds the loss at the tail by auditing the
 * consumer after NATS comes back, or for a while after it replaced a pull that went silent; either
 * way it recreates the consumer from its ack floor (actors/kernel/deliveryCheck.ts). ack_wait is
 * 60 s here: the bounds below are far inside it.
 */
import { jetstream, type JsMsg } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { publishCommand } from '../../actors/kernel/index.js';
import { SILENT_AFTER_MS } from '../../actors/kernel/consumerLiveness.js';
import { STREAMS, workspaceConsumerName, type ActorAddress } from '../../schemas/index.js';
import { eventually, startPlatform, tempDir, type Platform } from '../harness/index.js';

const ACK_WAIT_MS = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => p?.close());

const orgOf = (ws: string): ActorAddress => ({ org: 'gap', ws, kind: 'org', id: 'o0' });
const add = (id: string) => ({ id, type: 'workspace.add', data: { workspace: id } });
const applied = async (ws: string, id: string) =>
  (await p.records(`moe.evt.gap.${ws}.>`)).filter((r) => r.record.cmd.id === id).length;
const appliedOnce = (ws: string, id: string, timeoutMs: number) =>
  eventually(async () => ((await applied(ws, id)) === 1 ? true : undefined), {
    timeoutMs,
    what: `${id} applied in ${ws}`,
  });
const info = (ws: string) => p.jsm.consumers.info(STREAMS.commands, workspaceConsumerName('gap', ws));

/**
 * Workspace `ws` known to the platform (a first node applied `c0` there and stopped), a thief's
 * pull waiting on its consumer, then a node whose pull waits behind the thief's. Returns the
 * thief's delivery (the next command published) and the node.
 */
async function thiefFirst(ws: string, nodeId: string) {
  const first = await p.node({
    nodeId: `${nodeId}-first`,
    dataDir: tempDir('moe-gap-').path,
    ackWaitMs: ACK_WAIT_MS,
  });
  await publishCommand(p.client.js, orgOf(ws), add('c0'));
  await appliedOnce(ws, 'c0', 15_000);
  await first.stop();

  const thief: NatsConnection = await connect({ servers: p.ns.url });
  onTestFinished(() => thief.close());
  const consumer = await jetstream(thief).consumers.get(STREAMS.commands, workspaceConsumerName('gap', ws));
  const stolen: Promise<JsMsg | null> = consumer.next({ expires: 30_000 });
  await eventually(async () => ((await info(ws)).num_waiting === 1 ? true : undefined), {
    what: "the thief's pull waiting",
  });
  const dir = tempDir('moe-gap-');
  const node = await p.node({ nodeId, dataDir: dir.path, ackWaitMs: ACK_WAIT_MS });
  onTestFinished(async () => {
    await node.stop(); // the next test's workspace must not be taken by this node
    dir.remove();
  });
  await eventually(async () => ((await info(ws)).num_waiting === 2 ? true : undefined), {
    what: "the node's pull waiting behind the thief's",
  });
  return { stolen, node };
}

describe('deliveries that never reach the lease holder', () => {
  it('are delivered again as soon as a later delivery shows the gap', async () => {
    const ws = 'w1';
    const { stolen } = await thiefFirst(ws, 'gap-a');
    await publishCommand(p.client.js, orgOf(ws), add('c1'));
    expect((await stolen)?.subject).toBe(`moe.cmd.gap.${ws}.org.o0`); // taken, never acked
    const t0 = Date.now();
    await publishCommand(p.client.js, orgOf(ws), add('c2'));
    await appliedOnce(ws, 'c1', 20_000);
    expect(Date.now() - t0).toBeLessThan(ACK_WAIT_MS / 3);
    await appliedOnce(ws, 'c2', 10_000);
    await publishCommand(p.client.js, orgOf(ws), add('c3'));
    await appliedOnce(ws, 'c3', 10_000);
    for (const id of ['c0', 'c1', 'c2']) expect(await applied(ws, id)).toBe(1);
    await eventually(async () => ((await info(ws)).num_ack_pending === 0 ? true : undefined), {
      what: 'everything acked',
    });
  });

  it('are delivered again after NATS comes back when nothing followed them (the tail)', async () => {
    const ws = 'w2';
    const { stolen } = await thiefFirst(ws, 'gap-b');
    await publishCommand(p.client.js, orgOf(ws), add('c1'));
    expect((await stolen)?.subject).toBe(`moe.cmd.gap.${ws}.org.o0`);
    const t0 = Date.now();
    // a graceful restart: the server keeps the consumer's state (1 delivered and unacked)
    const pid = p.ns.pid!;
    process.kill(pid, 'SIGTERM');
    await eventually(
      () => {
        try {
          process.kill(pid, 0);
          return undefined;
        } catch {
          return true;
        }
      },
      { what: 'nats-server stopped' },
    );
    await p.ns.restart();
    await appliedOnce(ws, 'c1', 30_000);
    expect(Date.now() - t0).toBeLessThan(ACK_WAIT_MS / 2);
    // the harness's client may still be reconnecting: the same id again is deduped
    await eventually(
      () =>
        publishCommand(p.client.js, orgOf(ws), add('c2')).then(
          () => true,
          () => undefined,
        ),
      { what: 'c2 published' },
    );
    await appliedOnce(ws, 'c2', 10_000);
    expect(await applied(ws, 'c1')).toBe(1);
  });

  it('are not resynced while another reader takes deliveries (its late acks would reach a new consumer)', async () => {
    const ws = 'w3';
    const { stolen } = await thiefFirst(ws, 'gap-c');
    await publishCommand(p.client.js, orgOf(ws), add('c1'));
    expect((await stolen)?.subject).toBe(`moe.cmd.gap.${ws}.org.o0`);
    // a second live reader (a node that lost the lease and does not know it yet) takes and acks
    const other = await connect({ servers: p.ns.url });
    onTestFinished(() => other.close());
    const consumer = await jetstream(other).consumers.get(STREAMS.commands, workspaceConsumerName('gap', ws));
    let taken = 0;
    const live = await consumer.consume({
      max_messages: 10,
      callback: (m) => {
        taken++;
        m.ack();
      },
    });
    onTestFinished(() => live.stop());
    const created = (await info(ws)).created;
    for (let i = 0; i < 40; i++) {
      await publishCommand(p.client.js, orgOf(ws), add(`l${i}`));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(taken).toBeGreaterThan(0);
    expect((await info(ws)).created).toBe(created); // never recreated under the other reader
  });

  it('are delivered again when one goes to a replaced pull after the first audit (looked for until it expires)', async () => {
    const ws = 'w4';
    const { stolen } = await thiefFirst(ws, 'gap-d');
    // the server stops answering past the silence bound: the node replaces its pull (and audits)
    const pid = p.ns.pid!;
    process.kill(pid, 'SIGSTOP');
    try {
      await sleep(SILENT_AFTER_MS + 1_500);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    // a few seconds on, past the first look at the tail, the next command goes to the thief's pull
    // (what a replaced pull the server still holds does)
    await sleep(3_500);
    await publishCommand(p.client.js, orgOf(ws), add('c1'));
    expect((await stolen)?.subject).toBe(`moe.cmd.gap.${ws}.org.o0`);
    const t0 = Date.now();
    await appliedOnce(ws, 'c1', 25_000);
    expect(Date.now() - t0).toBeLessThan(ACK_WAIT_MS / 3);
  });
});
