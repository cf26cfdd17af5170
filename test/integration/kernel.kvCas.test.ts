/**
 * The one KV compare-and-set (actors/kernel/kvCas.ts) over a real nats-server: concurrent
 * increments from two connections (two processes) add up exactly, a missing key is created, a
 * refusal or "no change" writes nothing, and running out of attempts is reported as contention.
 */
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kvCas, KvCasContended } from '../../actors/kernel/index.js';
import { startNatsServer, type NatsServerHandle } from '../harness/index.js';

let ns: NatsServerHandle;
let nc1: NatsConnection;
let nc2: NatsConnection;
let kv1: KV;
let kv2: KV;

beforeAll(async () => {
  ns = await startNatsServer();
  nc1 = await connect({ servers: ns.url });
  nc2 = await connect({ servers: ns.url });
  kv1 = await new Kvm(nc1).create('kvcas_test', { history: 1 });
  kv2 = await new Kvm(nc2).open('kvcas_test');
});

afterAll(async () => {
  await nc1?.close();
  await nc2?.close();
  await ns?.stop();
});

describe('kvCas', () => {
  it('concurrent increments from two connections add up exactly', async () => {
    const increments = Array.from({ length: 60 }, (_, i) =>
      kvCas<number>(i % 2 === 0 ? kv1 : kv2, 'count', (n) => (n ?? 0) + 1),
    );
    const written = await Promise.all(increments);
    expect((await kv1.get('count'))?.json<number>()).toBe(60);
    // every increment was based on exactly the value it replaced: each result is seen once
    expect(new Set(written).size).toBe(60);
    expect(Math.max(...written)).toBe(60);
  });

  it('creates a missing key, and writes again over a deleted one', async () => {
    expect(await kvCas<{ n: number }>(kv1, 'fresh', (cur) => ({ n: (cur?.n ?? 0) + 5 }))).toEqual({ n: 5 });
    await kv1.delete('fresh');
    expect(await kvCas<{ n: number }>(kv2, 'fresh', (cur) => ({ n: (cur?.n ?? 0) + 1 }))).toEqual({ n: 1 });
    expect((await kv1.get('fresh'))?.json()).toEqual({ n: 1 });
  });

  it('writes nothing when the update returns the current value or throws', async () => {
    await kvCas<number>(kv1, 'steady', () => 7);
    const revision = (await kv1.get('steady'))!.revision;
    expect(await kvCas<number>(kv1, 'steady', (cur) => cur!)).toBe(7);
    const refusal = new Error('over the limit');
    await expect(
      kvCas<number>(kv1, 'steady', () => {
        throw refusal;
      }),
    ).rejects.toBe(refusal);
    expect((await kv1.get('steady'))!.revision).toBe(revision);
  });

  it('reports contention when every attempt loses its race', async () => {
    await kvCas<number>(kv1, 'hot', () => 0);
    // another process writes the key between each of our reads and our write
    const interrupted = new Proxy(kv1, {
      get: (target, prop, receiver) =>
        prop === 'update'
          ? async (key: string, value: Uint8Array, revision: number) => {
              await kv2.put(key, '1000');
              return target.update(key, value, revision);
            }
          : (Reflect.get(target, prop, receiver) as unknown),
    });
    const err = await kvCas<number>(interrupted, 'hot', (cur) => (cur ?? 0) + 1, {
      maxAttempts: 3,
      random: () => 0,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KvCasContended);
    expect(err).toMatchObject({ key: 'hot', attempts: 3 });
    expect((await kv1.get('hot'))?.json<number>()).toBe(1000);
  });
});
