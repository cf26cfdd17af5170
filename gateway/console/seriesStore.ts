/**
 * Where the console's chart samples (series.ts) outlive the gateway: a small JetStream stream,
 * `MOE_CONSOLE_SERIES` (subject `moe.console.series`, file storage, `max_age`
 * `MOE_CONSOLE_SERIES_MAX_AGE_MS`, default 24 h). A gateway publishes each sample and, at start,
 * reads the newest ones back, so the charts go on where they were after a restart.
 *
 * Several gateways, one series: samples are aligned to their interval's slot (`at` = the slot's
 * start) and published with `Nats-Msg-Id` `series:<intervalMs>:<slot>`, so JetStream keeps the
 * first gateway's sample of each slot and drops the others' as duplicates (the duplicate window is
 * at least two intervals). Every gateway samples the same figures (the supervisor's status, the
 * usage projection folded from the same journal), so which one wins does not matter. The gateways
 * should share one `MOE_CONSOLE_SERIES_MS`.
 */
import { RetentionPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { ensureStream } from '../../actors/kernel/index.js';
import type { SeriesPoint } from './seriesPoint.js';

export const SERIES_STREAM = 'MOE_CONSOLE_SERIES';
export const SERIES_SUBJECT = 'moe.console.series';
/** how long samples are kept (ms): a day of charts */
export const DEFAULT_SERIES_MAX_AGE_MS = 24 * 3600_000;

interface StoredPoint {
  readonly at: number;
  readonly turnsPerSec: number | null;
  readonly turnP99Ms: number | null;
  readonly costByOrg: Record<string, number>;
}

export interface SeriesStore {
  /** the newest `limit` samples, oldest first (one per `at`) */
  load(limit: number): Promise<SeriesPoint[]>;
  /** stores a sample of slot `at` (a slot already stored by another gateway is dropped) */
  save(point: SeriesPoint, intervalMs: number): Promise<void>;
}

/** `MOE_CONSOLE_SERIES_MAX_AGE_MS` when it is a whole number ≥ 1 s, else the default. */
export function seriesMaxAgeFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.MOE_CONSOLE_SERIES_MAX_AGE_MS);
  return Number.isInteger(v) && v >= 1000 ? v : DEFAULT_SERIES_MAX_AGE_MS;
}

function decode(data: Uint8Array): SeriesPoint | null {
  try {
    const v = JSON.parse(new TextDecoder().decode(data)) as StoredPoint;
    if (typeof v.at !== 'number' || !v.costByOrg || typeof v.costByOrg !== 'object') return null;
    return {
      at: v.at,
      turnsPerSec: typeof v.turnsPerSec === 'number' ? v.turnsPerSec : null,
      turnP99Ms: typeof v.turnP99Ms === 'number' ? v.turnP99Ms : null,
      costByOrg: new Map(Object.entries(v.costByOrg).filter(([, c]) => typeof c === 'number')),
    };
  } catch {
    return null;
  }
}

/** Creates (or adjusts the max age of) the stream and returns the store. */
export async function openSeriesStore(
  js: JetStreamClient,
  jsm: JetStreamManager,
  o: { readonly maxAgeMs: number; readonly intervalMs: number; readonly replicas?: number },
): Promise<SeriesStore> {
  const maxAge = nanos(o.maxAgeMs);
  const dup = nanos(Math.min(o.maxAgeMs, Math.max(120_000, 2 * o.intervalMs)));
  await ensureStream(
    jsm,
    {
      name: SERIES_STREAM,
      subjects: [SERIES_SUBJECT],
      retention: RetentionPolicy.Limits,
      num_replicas: o.replicas ?? 1,
      max_age: maxAge,
      duplicate_window: dup,
    },
    (c) =>
      c.max_age !== maxAge || c.duplicate_window !== dup ? { max_age: maxAge, duplicate_window: dup } : null,
  );

  return {
    async load(limit) {
      const { first_seq: first, last_seq: last, messages } = (await jsm.streams.info(SERIES_STREAM)).state;
      if (messages === 0) return [];
      const byAt = new Map<number, SeriesPoint>();
      for (let seq = Math.max(first, last - limit + 1); seq <= last; seq++) {
        const m = await jsm.streams.getMessage(SERIES_STREAM, { seq }).catch(() => null);
        const p = m ? decode(m.data) : null;
        if (p && !byAt.has(p.at)) byAt.set(p.at, p);
      }
      return [...byAt.values()].sort((a, b) => a.at - b.at);
    },
    async save(p, intervalMs) {
      const stored: StoredPoint = {
        at: p.at,
        turnsPerSec: p.turnsPerSec,
        turnP99Ms: p.turnP99Ms,
        costByOrg: Object.fromEntries(p.costByOrg),
      };
      await js.publish(SERIES_SUBJECT, JSON.stringify(stored), {
        msgID: `series:${intervalMs}:${Math.floor(p.at / intervalMs)}`,
      });
    },
  };
}
