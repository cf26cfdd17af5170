/**
 * The gateway's projection snapshot store on a real nats-server: a state larger than one KV value
 * round-trips through several parts (with a server whose max_payload is small), a snapshot that
 * covers less never replaces one that covers more, and a replaced snapshot's parts leave the bucket.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { openSnapshotStore, type SnapshotStore } from '../../gateway/snapshotStore.js';
import { KV_BUCKETS } from '../../schemas/index.js';
import { startNatsServer, type NatsServerHandle } from '../harness/index.js';

let ns: NatsServerHandle;
let nc: NatsConnection;
let jsm: JetStreamManager;
let store: SnapshotStore;
const AGENTS = 'moe.evt.*.*.agent.*';

beforeAll(async () => {
  // 64 KiB values at most: a state of a few hundred KiB must be split
  ns = await startNatsServer({ config: 'max_payload: 65536' });
  nc = await connect({ servers: ns.url });
  jsm = await jetstreamManager(nc);
  store = await openSnapshotStore(nc, jsm);
});
afterAll(async () => {
  await nc?.close();
  await ns?.stop();
});

async function partKeys(name: string): Promise<string[]> {
  const kv = await new Kvm(nc).open(KV_BUCKETS.gatewaySnapshots);
  const out: string[] = [];
  for await (const k of await kv.keys(`${name}.part.>`)) out.push(k);
  return out;
}

describe('projection snapshot store', () => {
  it('a state larger than a KV value round-trips through several parts', async () => {
    // random hex does not compress: well over one 64 KiB value after gzip
    const state = {
      rows: Array.from({ length: 400 }, (_, i) => ({ i, pad: randomBytes(512).toString('hex') })),
    };
    expect(await store.save('big', { [AGENTS]: 10 }, state)).toBe(true);
    expect((await partKeys('big')).length).toBeGreaterThan(2);
    const loaded = await store.load<typeof state>('big');
    expect(loaded?.head.covered).toEqual({ [AGENTS]: 10 });
    expect(loaded?.state).toEqual(state);
  });

  it('a snapshot that covers less does not replace one that covers more, and a replaced one leaves no parts', async () => {
    expect(await store.save('u', { [AGENTS]: 20 }, { n: 20 })).toBe(true);
    const first = await partKeys('u');
    expect(await store.save('u', { [AGENTS]: 15 }, { n: 15 })).toBe(false);
    expect((await store.load<{ n: number }>('u'))?.state.n).toBe(20);
    expect(await store.save('u', { [AGENTS]: 30 }, { n: 30 })).toBe(true);
    expect((await store.load<{ n: number }>('u'))?.state.n).toBe(30);
    const now = await partKeys('u');
    expect(now.length).toBe(1);
    expect(now.some((k) => first.includes(k))).toBe(false);
  });

  it('no snapshot yet loads as null', async () => {
    expect(await store.load('never-written')).toBeNull();
  });
});
