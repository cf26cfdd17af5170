/**
 * A command pull drained for a hand-over drops nothing: every command the server delivered before
 * it saw the unsubscribe reaches the callback, so what is left pending on the consumer (delivered,
 * not acked) is exactly what the callback got — nothing waits for `ack_wait` in a dead inbox.
 * (Before: the kernel's hand-over reached for a `sub` field the command loop no longer had, so
 * the pull was unsubscribed at once and commands in flight were lost until ack_wait or a resume.)
 */
import { jetstream } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCommandConsumer, consumeCommands } from '../../actors/kernel/index.js';
import { STREAMS } from '../../schemas/index.js';
import { type Platform, silent, startPlatform } from '../harness/index.js';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => p?.close());

describe('command loop drain', () => {
  it('delivers what was in flight when the pull is drained (ack pending = received)', async () => {
    const name = 'drain-test-consumer';
    const filter = 'moe.cmd.cl.w1.agent.>';
    await addCommandConsumer(p.jsm, { name, filter });
    const js = jetstream(p.nc);
    const total = 3000;
    let received = 0;
    let drainAt: () => void;
    const started = new Promise<void>((r) => (drainAt = r));
    const { messages, closed } = await consumeCommands({ js, log: silent, name }, () => {
      received++;
      if (received === 50) drainAt();
    });
    const publishing = Promise.all(
      Array.from({ length: total }, (_, i) => js.publish(`moe.cmd.cl.w1.agent.a${i % 7}`, '{}')),
    );
    await started;
    await messages.drain();
    await closed;
    await publishing;
    const afterDrain = received;
    const info = await p.jsm.consumers.info(STREAMS.commands, name);
    console.log(
      `drained after ${afterDrain} of ${total}; consumer: ack pending ${info.num_ack_pending}, pending ${info.num_pending}`,
    );
    expect(afterDrain).toBeGreaterThanOrEqual(50);
    // nothing delivered into the dropped subscription: every unacked delivery is one the callback has
    expect(info.num_ack_pending).toBe(afterDrain);
    expect(info.num_ack_pending + info.num_pending).toBe(total);
    // and no new pull followed the drain
    await new Promise((r) => setTimeout(r, 300));
    expect(received).toBe(afterDrain);
  }, 60_000);
});
