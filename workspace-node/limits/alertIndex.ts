/**
 * The index of pending budget alerts, so alert recovery reads what is owed rather than every
 * budget: one key per alert, `alertpending.<alert id>` in the `moe_limits` bucket, holding the
 * budget key that carries the alert (as pending) and when the entry was written.
 *
 * Written ahead: the limiter indexes the alerts a settlement is about to mark *before* the
 * compare-and-set that marks them (limiter.ts `adjustScope`), so a node that dies anywhere after
 * the mark leaves an index entry behind and recovery finds the alert. An entry is removed once its
 * alert is journaled and confirmed; one whose mark was never written (another node won it) or whose
 * removal was cut short is an orphan, removed by a sweep once it is older than the staleness of a
 * claim and its budget has no such alert pending.
 *
 * Entries are removed by purging their subject from the bucket's stream, not with a KV delete: a
 * delete marker would stay in the stream for good, and listing `alertpending.>` would then walk one
 * marker per alert ever fired.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { kvKeys } from '../../actors/kernel/index.js';
import { KV_BUCKETS } from '../../schemas/index.js';

const PREFIX = 'alertpending.';

/** One pending alert's index entry. */
export interface AlertIndexEntry {
  /** the budget's KV key (its record holds the alert in `pending`) */
  readonly budget: string;
  /** the alert's id ({@link budgetAlertId}) */
  readonly id: string;
  /** epoch ms the entry was written */
  readonly at: number;
}

export interface AlertIndex {
  /** indexes alerts of `budget` about to be marked (idempotent: an entry is rewritten) */
  add(budget: string, ids: readonly string[], at: number): Promise<void>;
  /** removes the entries of alerts journaled and confirmed (or orphans) */
  remove(ids: readonly string[]): Promise<void>;
  /** every entry: the pending alerts, and orphans not yet swept */
  list(): Promise<AlertIndexEntry[]>;
}

/** The index's key of an alert. */
export const alertIndexKey = (id: string): string => `${PREFIX}${id}`;

/**
 * @example createLimiter({ kv, onAlert: journalAlertSink(js), alertIndex: kvAlertIndex(kv, jsm) })
 */
export function kvAlertIndex(kv: KV, jsm: JetStreamManager): AlertIndex {
  const stream = `KV_${KV_BUCKETS.limits}`;
  return {
    async add(budget, ids, at) {
      for (const id of ids) await kv.put(alertIndexKey(id), JSON.stringify({ budget, id, at }));
    },
    async remove(ids) {
      for (const id of ids)
        await jsm.streams.purge(stream, { filter: `$KV.${KV_BUCKETS.limits}.${alertIndexKey(id)}` });
    },
    async list() {
      const out: AlertIndexEntry[] = [];
      for (const key of await kvKeys(kv, `${PREFIX}>`)) {
        const e = await kv.get(key);
        if (e?.operation === 'PUT') out.push(e.json<AlertIndexEntry>());
      }
      return out;
    },
  };
}
