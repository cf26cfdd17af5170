/**
 * Workspace consumer names: org `a_b` with workspace `c`, and org `a` with workspace `b_c`, once
 * shared the consumer `ws_a_b_c`. Each workspace now has its own (`ws-<len(org)>-<org>-<ws>`), a
 * consumer is used only when its filter is the workspace's, and a consumer an earlier version
 * created under the old name keeps serving its workspace from where it was.
 */
import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWorkspaceConsumer } from '../../actors/kernel/workspaceConsumer.js';
import {
  legacyWorkspaceConsumerName,
  STREAMS,
  workspaceCommandFilter,
  workspaceConsumerName,
  type ActorAddress,
} from '../../schemas/index.js';
import { eventually, startPlatform, silent, type Platform } from '../harness/index.js';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => p?.close());

const session = (org: string, ws: string, id: string): ActorAddress => ({ org, ws, kind: 'session', id });

async function filterOf(name: string): Promise<string | undefined> {
  return (await p.jsm.consumers.info(STREAMS.commands, name)).config.filter_subject;
}

async function openSessions(org: string, ws: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++)
    await p.client.request(session(org, ws, `s${i}`), { id: 'open', type: 'session.open', data: {} });
}

describe('workspace consumer names', () => {
  it('gives org a_b workspace c and org a workspace b_c each their own consumer, and each kernel sees only its own commands', async () => {
    expect(workspaceConsumerName('a_b', 'c')).not.toBe(workspaceConsumerName('a', 'b_c'));
    const node = await p.node({ nodeId: 'n1', only: ['a_b.c', 'a.b_c'] });
    await openSessions('a_b', 'c', 3);
    await openSessions('a', 'b_c', 2);
    const first = node.hosts.get('a_b.c')!.kernel;
    const second = node.hosts.get('a.b_c')!.kernel;
    expect(first.consumerName).toBe(workspaceConsumerName('a_b', 'c'));
    expect(second.consumerName).toBe(workspaceConsumerName('a', 'b_c'));
    expect(await filterOf(first.consumerName)).toBe('moe.cmd.a_b.c.>');
    expect(await filterOf(second.consumerName)).toBe('moe.cmd.a.b_c.>');
    expect(first.stats.turns).toBe(3);
    expect(second.stats.turns).toBe(2);
    expect((await p.records('moe.evt.a_b.c.>')).every((r) => r.record.actor.org === 'a_b')).toBe(true);
    expect((await p.records('moe.evt.a.b_c.>')).every((r) => r.record.actor.org === 'a')).toBe(true);
    await node.stop();
  });

  it('keeps serving a workspace from its old-name consumer, without redelivering what it already took', async () => {
    // A previous version served workspace mig.w under the old name and took two commands.
    const legacy = legacyWorkspaceConsumerName('mig', 'w');
    await p.jsm.consumers.add(STREAMS.commands, {
      durable_name: legacy,
      filter_subject: workspaceCommandFilter('mig', 'w'),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
    });
    for (const id of ['s0', 's1'])
      await p.client.send(session('mig', 'w', id), { id: 'open', type: 'session.open', data: {} });
    const taken = await (
      await p.client.js.consumers.get(STREAMS.commands, legacy)
    ).fetch({ max_messages: 2 });
    for await (const m of taken) await m.ackAck();
    const node = await p.node({ nodeId: 'n2', only: ['mig.w'] });
    await p.client.request(session('mig', 'w', 'later'), { id: 'open', type: 'session.open', data: {} });
    const kernel = node.hosts.get('mig.w')!.kernel;
    expect(kernel.consumerName).toBe(legacy);
    // The answer is read from MOE_EVT; the kernel counts the turn when its PubAck arrives, just after.
    await eventually(() => (kernel.stats.turns > 0 ? true : undefined));
    expect(kernel.stats.turns).toBe(1);
    expect(kernel.stats.duplicates).toBe(0);
    const info = await eventually(
      async () => {
        const ci = await p.jsm.consumers.info(STREAMS.commands, legacy);
        return ci.num_pending + ci.num_ack_pending === 0 ? ci : undefined;
      },
      { what: 'the third command acknowledged' },
    );
    expect(info.delivered.consumer_seq).toBe(3); // each command delivered once, over both versions
    const names: string[] = [];
    for await (const ci of p.jsm.consumers.list(STREAMS.commands)) names.push(ci.name);
    expect(names).not.toContain(workspaceConsumerName('mig', 'w'));
    await node.stop();
  });

  it('leaves an old-name consumer of the other workspace alone and gives the workspace its own', async () => {
    // What an earlier version left: `ws_x_y_z`, made for org x_y workspace z.
    const shared = legacyWorkspaceConsumerName('x_y', 'z');
    expect(shared).toBe(legacyWorkspaceConsumerName('x', 'y_z'));
    await p.jsm.consumers.add(STREAMS.commands, {
      durable_name: shared,
      filter_subject: workspaceCommandFilter('x_y', 'z'),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
    });
    const node = await p.node({ nodeId: 'n4', only: ['x_y.z', 'x.y_z'] });
    await openSessions('x', 'y_z', 2);
    await openSessions('x_y', 'z', 1);
    const first = node.hosts.get('x_y.z')!.kernel;
    const second = node.hosts.get('x.y_z')!.kernel;
    expect(first.consumerName).toBe(shared);
    expect(second.consumerName).toBe(workspaceConsumerName('x', 'y_z'));
    expect(await filterOf(shared)).toBe('moe.cmd.x_y.z.>');
    expect(await filterOf(second.consumerName)).toBe('moe.cmd.x.y_z.>');
    expect(first.stats.turns).toBe(1);
    expect(second.stats.turns).toBe(2);
    await node.stop();
  });

  it('refuses a consumer with the workspace consumer name that filters another workspace', async () => {
    const name = workspaceConsumerName('cf', 'w');
    await p.jsm.consumers.add(STREAMS.commands, {
      durable_name: name,
      filter_subject: workspaceCommandFilter('cf', 'other'),
      ack_policy: AckPolicy.Explicit,
    });
    await expect(
      ensureWorkspaceConsumer({ org: 'cf', ws: 'w', js: p.client.js, jsm: p.jsm, log: silent }),
    ).rejects.toMatchObject({ code: 'MOE_ERR_CONSUMER_CONFLICT' });
    expect(await filterOf(name)).toBe('moe.cmd.cf.other.>');
  });
});
