/**
 * Pulls lost when a consumer's leader dies are pulled again within seconds. On a 3-server cluster
 * the pull requests waiting on a consumer live on its leader: when that server is killed (kill -9),
 * a new leader is elected that holds none of them and sends no heartbeat, while the client, whose
 * own server is alive, hears nothing and is not reconnected (nats.js pulls again on a reconnect by
 * itself). The platform's followers (webhook dispatch and delivery, actor supervision, node
 * discovery) pull with `FOLLOWER_PULL` (10 s expiry, 1 s heartbeat): nats.js misses two heartbeats
 * and pulls again. With nats.js's defaults (30 s expiry, 15 s heartbeat) the next message waited
 * 42 s in a trial on this box. The workspace command loop, as the lease holder runs it (its own
 * silence watch, consumerLiveness.ts, and the delivery check, deliveryCheck.ts), is checked the
 * same way: a pull it replaces may leave a delivery on a request nobody reads any more, which the
 * check finds and has delivered again (without it, that command waited for `ack_wait`: seen here).
 */
import {
  AckPolicy,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { FOLLOWER_PULL } from '../../actors/kernel/index.js';
import { soleReaderCheck } from '../../actors/kernel/deliveryCheck.js';
import { addCommandConsumer, consumeCommands } from '../../actors/kernel/workspaceConsumer.js';
import { STREAMS, workspaceCommandFilter } from '../../schemas/index.js';
import { eventually, startNatsCluster, type NatsClusterHandle } from '../harness/index.js';

/**
 * Inside the 30 s and more a lost pull waits with nats.js's defaults (two missed 15 s heartbeats
 * before it even asks) or for ack_wait; well above the 0.6–7.4 s measured alone (10 s once beside
 * the cluster chaos file), for a busy box.
 */
const BOUND_MS = 25_000;

let cluster: NatsClusterHandle;
const conns: NatsConnection[] = [];
const log = pino({ level: process.env.MOE_TEST_LOG ?? 'silent' });

beforeAll(async () => {
  cluster = await startNatsCluster();
  await cluster.ready();
  const nc = await connect({ servers: [...cluster.urls] });
  conns.push(nc);
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'FOLLOW', subjects: ['follow.>'], num_replicas: 3 });
  await jsm.streams.add({ name: STREAMS.commands, subjects: ['moe.cmd.>'], num_replicas: 3 });
}, 120_000);

afterAll(async () => {
  for (const nc of conns) await nc.close().catch(() => undefined);
  await cluster?.stop();
});

/**
 * A connection to a server that does not lead consumer `name` of `stream` (it lives through the
 * kill), and `kill()`: kill -9 of the leader, resolved once another server leads the consumer; the
 * killed server is restarted when the test ends.
 */
async function awayFromLeader(stream: string, name: string) {
  const first = (await jetstreamManager(conns[0]!)).consumers;
  const leader = (await first.info(stream, name)).cluster?.leader;
  const nc = await connect({ servers: cluster.servers.find((s) => s.name !== leader)!.url });
  conns.push(nc);
  const jsm: JetStreamManager = await jetstreamManager(nc);
  const kill = async () => {
    const server = cluster.server(leader!);
    await server.kill();
    onTestFinished(async () => {
      await server.restart();
      await cluster.ready(60_000);
    });
    await eventually(
      async () => {
        const now = (await jsm.consumers.info(stream, name).catch(() => undefined))?.cluster?.leader;
        return now !== undefined && now !== leader ? true : undefined;
      },
      { timeoutMs: 30_000, what: 'a new consumer leader' },
    );
  };
  return { nc, jsm, kill };
}

const sinceMs = (t: number) => Date.now() - t;

/** Publishes once the stream has a leader again (it may have been on the killed server too). */
const publishSoon = (js: JetStreamClient, subject: string) =>
  eventually(() => js.publish(subject, '{}', { timeout: 5_000 }).catch(() => undefined), {
    timeoutMs: 30_000,
    what: `${subject} stored`,
  });

describe("a pull lost with its consumer's leader", () => {
  it('is pulled again by a follower (FOLLOWER_PULL): the next message arrives within seconds', async () => {
    const setup = await jetstreamManager(conns[0]!);
    await setup.consumers.add('FOLLOW', { durable_name: 'follower', ack_policy: AckPolicy.Explicit });
    const { nc, kill } = await awayFromLeader('FOLLOW', 'follower');
    const got: string[] = [];
    const consumer = await jetstream(nc).consumers.get('FOLLOW', 'follower');
    const messages = await consumer.consume({
      ...FOLLOWER_PULL,
      max_messages: 16,
      callback: (m) => {
        got.push(m.subject);
        m.ack();
      },
    });
    onTestFinished(() => messages.stop());
    const js = jetstream(nc);
    await js.publish('follow.1', 'a');
    await eventually(() => got.length === 1 || undefined, { what: 'the first message' });

    await kill();
    await publishSoon(js, 'follow.2');
    const t = Date.now();
    await eventually(() => got.length === 2 || undefined, { timeoutMs: BOUND_MS, what: 'the next message' });
    console.log(`follower: the next message ${sinceMs(t)} ms after it was stored`);
    expect(got).toEqual(['follow.1', 'follow.2']);
  }, 120_000);

  it('is pulled again by a workspace command loop, and nothing it was sent is left to ack_wait', async () => {
    const name = 'ws-follow-loop';
    await addCommandConsumer(await jetstreamManager(conns[0]!), {
      name,
      filter: workspaceCommandFilter('fl', 'w1'),
    });
    const { nc, jsm, kill } = await awayFromLeader(STREAMS.commands, name);
    const got: number[] = [];
    const { messages } = await consumeCommands(
      {
        js: jetstream(nc),
        log,
        name,
        check: soleReaderCheck({ nc, jsm, name, log, settled: () => Promise.resolve(true) }),
      },
      (m) => {
        got.push(m.seq);
        m.ack();
      },
    );
    onTestFinished(() => messages.stop());
    const js = jetstream(nc);
    const subject = 'moe.cmd.fl.w1.agent.a';
    const first = await js.publish(subject, '{}');
    await eventually(() => got.length === 1 || undefined, { what: 'the first command' });

    await kill();
    const next = await publishSoon(js, subject);
    const t = Date.now();
    await eventually(() => got.includes(next.seq) || undefined, {
      timeoutMs: BOUND_MS,
      what: 'the next command',
    });
    console.log(`command loop: the next command ${sinceMs(t)} ms after it was stored`);
    expect(new Set(got)).toEqual(new Set([first.seq, next.seq]));
  }, 120_000);
});
