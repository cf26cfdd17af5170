/**
 * The keys of a JetStream KV bucket, from one stream-info request (`subjects_filter`, nats-server
 * 2.9) instead of nats.js's `kv.keys()`. That one runs an ordered push consumer per listing, which
 * (a) goes on delivering while the listing is read, so a key written meanwhile can be listed twice
 * (seen here: 19 listings in 300 while one of their keys was updated), and (b) ends only on a
 * delivery with nothing pending or an idle heartbeat (5 s; 30 s once the consumer was reset), which
 * can stall a listing on a starved box. A stream info has neither: one request, one answer, each
 * subject once (nats.js pages long answers).
 *
 * Unlike `kv.keys()`, a deleted key whose tombstone is still stored is listed: callers read each
 * key and keep the `PUT`s (a purged key is gone from the listing).
 */
import { Bucket, type KV } from '@nats-io/kv';

/**
 * @example const endpointKeys = await kvKeys(kv, `ep.${org}.*`); // sorted; tombstoned keys too
 */
export async function kvKeys(kv: KV, filter = '>'): Promise<string[]> {
  if (!(kv instanceof Bucket))
    throw new TypeError('kvKeys: a bucket opened with @nats-io/kv (Kvm) is needed');
  const info = await kv.jsm.streams.info(kv.stream, {
    subjects_filter: kv.fullKeyName(kv.encodeKey(filter)),
  });
  return Object.keys(info.state.subjects ?? {})
    .map((subject) => kv.decodeKey(subject.slice(kv.prefixLen)))
    .sort();
}
