/**
 * What JetStream KV does per second on this box (docs/scale.md, "KV"): the placement leases
 * (`moe_placement`, renewed by compare-and-set every lease/3 per hosted workspace), the heartbeats
 * (`moe_nodes`) and the workspace registry are all KV. Measures one client's put, get and
 * compare-and-set update rates, awaited one at a time and with 200 in flight, on a bucket like
 * the platform's (file storage, history 1), and the bytes per key of a lease-sized value.
 */
import { Kvm } from '@nats-io/kv';
import { pipelined } from '../setup.js';
import { r3, scaleServer, timeMedian } from './kit.js';

export async function kvCost(keys: number, log: (s: string) => void): Promise<Record<string, unknown>> {
  const s = await scaleServer();
  try {
    const kv = await new Kvm(s.nc).create('scale_kv', { history: 1 });
    const lease = (i: number) =>
      JSON.stringify({ node: 'node-a1b2c3', epoch: 3, until: 1_800_000_000_000 + i });
    const key = (i: number) => `o${i % 1000}.w${i}`;
    const rate = async (count: number, window: number, op: (i: number) => Promise<unknown>) => {
      const t = performance.now();
      await pipelined(count, window, op);
      return Math.round(count / ((performance.now() - t) / 1000));
    };
    log(`kv: ${keys} keys…`);
    const putPipelined = await rate(keys, 200, (i) => kv.put(key(i), lease(i)));
    const putMs = await timeMedian(1_000, (i) => kv.put(key(i), lease(i)));
    const getMs = await timeMedian(1_000, (i) => kv.get(key((i * 7919) % keys)));
    const getPipelined = await rate(keys, 200, (i) => kv.get(key((i * 7919) % keys)));
    // lease renewal: read revision, update with it (as placement.ts renews)
    const revisions = new Map<number, number>();
    for (let i = 0; i < 2_000; i++) revisions.set(i, (await kv.get(key(i)))!.revision);
    const updateMs = await timeMedian(1_000, async (i) =>
      revisions.set(i, await kv.update(key(i), lease(i + 1), revisions.get(i)!)),
    );
    const updatePipelined = await rate(2_000, 200, async (i) =>
      revisions.set(i, await kv.update(key(i), lease(i + 2), revisions.get(i)!)),
    );
    const status = await kv.status();
    return {
      keys,
      put_ms: r3(putMs),
      put_per_s_200_in_flight: putPipelined,
      get_ms: r3(getMs),
      get_per_s_200_in_flight: getPipelined,
      cas_update_ms: r3(updateMs),
      cas_update_per_s_200_in_flight: updatePipelined,
      lease_value_bytes: lease(0).length,
      bucket_bytes_per_key: Math.round(status.size / status.values),
    };
  } finally {
    await s.close();
  }
}
