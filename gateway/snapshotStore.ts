/**
 * Durable snapshots of the gateway's journal projections, shared by every gateway: a JetStream KV
 * bucket (`moe_gateway_snapshots`). A snapshot is a projection's state (JSON, gzipped) plus the
 * MOE_EVT sequence each of its journal followers covers, so a starting gateway loads it and reads
 * the journal only after those sequences — which keeps working after old entries are purged from
 * MOE_EVT (issue 8, bounded journal).
 *
 * Layout of one snapshot `name`: parts `<name>.part.<gen>.<i>` (each at most {@link PART_BYTES},
 * well under the server's max_payload), then the head `<name>.head` naming the generation, its
 * part count, size, sha256 and coverage. The head is written last, like a backup's manifest, so a
 * writer that dies mid-way leaves no visible snapshot; its parts are swept later.
 *
 * Every gateway writes; the head moves only forward: it is replaced with the kernel's one KV
 * compare-and-set (`kvCas`) unless the stored head already covers at least as much on every
 * follower. A reader that finds a part gone (a newer snapshot replaced the one it was reading)
 * reads the head again.
 */
import { createHash, randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { kvCas, kvKeys } from '../actors/kernel/index.js';
import { KV_BUCKETS } from '../schemas/index.js';

/** MOE_EVT sequence covered per journal follower (keyed by its filter subject). */
export type Coverage = Readonly<Record<string, number>>;

export interface SnapshotHead {
  readonly v: 1;
  /** generation: `<ms>-<hex>`, the write time first (the orphan sweep reads it) */
  readonly gen: string;
  readonly parts: number;
  /** gzipped bytes */
  readonly bytes: number;
  readonly sha256: string;
  readonly covered: Coverage;
  readonly savedAt: number;
}

export interface LoadedSnapshot<T> {
  readonly head: SnapshotHead;
  readonly state: T;
}

export interface SnapshotStore {
  /** The newest snapshot of `name`, or null when there is none (or it cannot be read whole). */
  load<T>(name: string): Promise<LoadedSnapshot<T> | null>;
  /** Writes a snapshot; false when the stored one already covers at least as much. */
  save(name: string, covered: Coverage, state: unknown): Promise<boolean>;
}

/** Bytes per KV value: nats-server's default max_payload is 1 MiB. */
export const PART_BYTES = 256 * 1024;
/** Parts of a generation no head names are deleted once this old (a write takes far less). */
const ORPHAN_AGE_MS = 10 * 60_000;
const LOAD_ATTEMPTS = 3;
/** the stream a KV bucket is stored in */
const BUCKET_STREAM = `KV_${KV_BUCKETS.gatewaySnapshots}`;

const headKey = (name: string) => `${name}.head`;
const partKey = (name: string, gen: string, i: number) => `${name}.part.${gen}.${i}`;

/** True when `a` covers at least as much as `b` on every follower `b` names. */
export function covers(a: Coverage, b: Coverage): boolean {
  return Object.entries(b).every(([k, seq]) => (a[k] ?? 0) >= seq);
}

/** @example const store = await openSnapshotStore(nc, jsm); await store.save('usage', { 'moe.evt.*.*.agent.*': 42 }, state); */
export async function openSnapshotStore(
  nc: NatsConnection,
  jsm: JetStreamManager,
  now: () => number = Date.now,
): Promise<SnapshotStore> {
  const kv = await new Kvm(nc).create(KV_BUCKETS.gatewaySnapshots, { history: 1 });
  const partBytes = Math.min(PART_BYTES, Math.max(1024, nc.info?.max_payload ?? PART_BYTES) - 4096);
  return {
    load: (name) => load(kv, name),
    async save(name, covered, state) {
      const stored = await readHead(kv, name);
      if (stored && covers(stored.covered, covered)) return false;
      const blob = gzipSync(Buffer.from(JSON.stringify(state)));
      const gen = `${now()}-${randomBytes(4).toString('hex')}`;
      const parts = Math.max(1, Math.ceil(blob.length / partBytes));
      for (let i = 0; i < parts; i++)
        await kv.put(partKey(name, gen, i), blob.subarray(i * partBytes, (i + 1) * partBytes));
      const head: SnapshotHead = {
        v: 1,
        gen,
        parts,
        bytes: blob.length,
        sha256: createHash('sha256').update(blob).digest('hex'),
        covered,
        savedAt: now(),
      };
      let replaced: SnapshotHead | undefined;
      const written = await kvCas<SnapshotHead>(kv, headKey(name), (cur) => {
        replaced = cur;
        return cur && covers(cur.covered, covered) ? cur : head;
      });
      if (written !== head) {
        await deleteParts(jsm, name, gen);
        return false;
      }
      if (replaced) await deleteParts(jsm, name, replaced.gen);
      await sweepOrphans(kv, jsm, name, gen, now());
      return true;
    },
  };
}

async function readHead(kv: KV, name: string): Promise<SnapshotHead | null> {
  const e = await kv.get(headKey(name));
  if (!e || e.operation !== 'PUT') return null;
  const head = e.json<SnapshotHead>();
  return head.v === 1 ? head : null;
}

async function load<T>(kv: KV, name: string): Promise<LoadedSnapshot<T> | null> {
  for (let attempt = 1; attempt <= LOAD_ATTEMPTS; attempt++) {
    const head = await readHead(kv, name);
    if (!head) return null;
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < head.parts; i++) {
      const e = await kv.get(partKey(name, head.gen, i));
      if (!e || e.operation !== 'PUT') break;
      chunks.push(e.value);
    }
    if (chunks.length < head.parts) continue; // replaced while reading: read the new head
    const blob = Buffer.concat(chunks);
    if (blob.length !== head.bytes || createHash('sha256').update(blob).digest('hex') !== head.sha256)
      throw new Error(`snapshot ${name} (${head.gen}) does not match its sha256`);
    return { head, state: JSON.parse(gunzipSync(blob).toString('utf8')) as T };
  }
  return null;
}

/**
 * Removes a generation's parts from the bucket's stream: a subject purge leaves no delete markers
 * behind (a KV delete would leave one per part, forever).
 */
async function deleteParts(jsm: JetStreamManager, name: string, gen: string): Promise<void> {
  await jsm.streams
    .purge(BUCKET_STREAM, { filter: `$KV.${KV_BUCKETS.gatewaySnapshots}.${name}.part.${gen}.>` })
    .catch(() => undefined);
}

/** Deletes parts of generations older than {@link ORPHAN_AGE_MS} that the head does not name. */
async function sweepOrphans(
  kv: KV,
  jsm: JetStreamManager,
  name: string,
  current: string,
  nowMs: number,
): Promise<void> {
  const prefix = `${name}.part.`;
  const old = new Set<string>();
  for (const key of await kvKeys(kv, `${prefix}>`)) {
    const gen = key.slice(prefix.length).split('.')[0] ?? '';
    const at = Number(gen.split('-')[0]);
    if (gen !== current && Number.isFinite(at) && nowMs - at > ORPHAN_AGE_MS) old.add(gen);
  }
  for (const gen of old) await deleteParts(jsm, name, gen);
}
