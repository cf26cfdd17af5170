/**
 * Listing a KV bucket's keys with one stream-info request (actors/kernel/kvKeys.ts) over a real
 * nats-server: the filter's wildcards, sorted keys, and what happens to deleted and purged keys;
 * and a key updated while the listing runs is listed once (nats.js's `kv.keys()` listed it twice in
 * about one listing in sixteen here, its consumer delivering the update too).
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kvKeys } from '../../actors/kernel/index.js';
import { startNatsServer, type NatsServerHandle } from '../harness/index.js';

let ns: NatsServerHandle;
let nc: NatsConnection;
let kv: KV;

beforeAll(async () => {
  ns = await startNatsServer();
  nc = await connect({ servers: ns.url });
  kv = await new Kvm(nc).create('kvkeys_test', { history: 5 });
});

afterAll(async () => {
  await nc?.close();
  await ns?.stop();
});

describe('kvKeys', () => {
  it('lists the keys a filter matches, sorted, each once', async () => {
    for (const k of ['ep.o1.b', 'ep.o1.a', 'ep.o2.a', 'dl.o1.a.e1', 'dl.o1.a.e2']) await kv.put(k, '1');
    await kv.put('ep.o1.a', '2'); // a second revision: still one key
    expect(await kvKeys(kv, 'ep.o1.*')).toEqual(['ep.o1.a', 'ep.o1.b']);
    expect(await kvKeys(kv, 'dl.o1.>')).toEqual(['dl.o1.a.e1', 'dl.o1.a.e2']);
    expect(await kvKeys(kv, 'ep.o3.*')).toEqual([]);
    expect(await kvKeys(kv)).toHaveLength(5);
  });

  it('lists a deleted key (its tombstone) but not a purged one', async () => {
    await kv.put('gone.deleted', '1');
    await kv.put('gone.purged', '1');
    await kv.delete('gone.deleted');
    await kv.purge('gone.purged');
    await (
      await jetstreamManager(nc)
    ).streams.purge('KV_kvkeys_test', { filter: '$KV.kvkeys_test.gone.purged' });
    expect(await kvKeys(kv, 'gone.*')).toEqual(['gone.deleted']);
    expect((await kv.get('gone.deleted'))?.operation).toBe('DEL');
  });

  it('lists a key updated during the listing once', async () => {
    for (let i = 0; i < 100; i++) {
      for (const e of ['a', 'b', 'c']) await kv.put(`race.${i}.${e}`, '1');
      // a few writes elsewhere first, so the update lands while the listing is under way
      const writes = (async () => {
        for (let j = 0; j < 5; j++) await kv.put(`other.${i}.${j}`, '1');
        await kv.put(`race.${i}.b`, '2');
      })();
      const [keys] = await Promise.all([kvKeys(kv, `race.${i}.*`), writes]);
      expect(keys).toEqual([`race.${i}.a`, `race.${i}.b`, `race.${i}.c`]);
    }
  });
});
