/**
 * Creates the streams and KV buckets the platform needs, idempotently: safe to run from every
 * process at every start. Replicas come from config (1 embedded, 3 in a cluster). Other processes'
 * own streams (the gateway's webhook queue and console series) are ensured the same way, with
 * {@link ensureStream}.
 */
import {
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { CORE_KV_BUCKETS, STREAMS } from '../../schemas/index.js';

export interface StreamOptions {
  readonly replicas?: number;
  /** how long commands are kept (acked or not); default 7 days */
  readonly commandMaxAgeMs?: number;
  /** duplicate window for Nats-Msg-Id dedupe; default 10 minutes */
  readonly duplicateWindowMs?: number;
}

/** A stream to ensure: its name and subjects, and any other settings (file storage unless said). */
export type StreamSpec = Partial<StreamConfig> & Pick<StreamConfig, 'name' | 'subjects'>;

/**
 * Creates the stream when it does not exist (file storage unless `spec` says otherwise). When it
 * does, `adjust` may return the settings to change on its current config (null: leave it as is);
 * without `adjust`, an existing stream is left as it is.
 *
 * @example await ensureStream(jsm, { name: 'S', subjects: ['s.>'] }, (c) => (c.max_age !== age ? { max_age: age } : null));
 */
export async function ensureStream(
  jsm: JetStreamManager,
  spec: StreamSpec,
  adjust?: (existing: StreamConfig) => Partial<StreamConfig> | null,
): Promise<void> {
  const existing = await jsm.streams.info(spec.name).catch(() => null);
  if (!existing) {
    await jsm.streams.add({ storage: StorageType.File, ...spec });
    return;
  }
  const change = adjust?.(existing.config);
  if (change) await jsm.streams.update(spec.name, { ...existing.config, ...change });
}

export async function ensureStreams(
  nc: NatsConnection,
  jsm: JetStreamManager,
  o: StreamOptions = {},
): Promise<void> {
  const replicas = o.replicas ?? 1;
  const dup = nanos(o.duplicateWindowMs ?? 10 * 60_000);
  const specs = [
    {
      name: STREAMS.commands,
      subjects: ['moe.cmd.>'],
      retention: RetentionPolicy.Limits,
      max_age: nanos(o.commandMaxAgeMs ?? 7 * 24 * 3600_000),
      duplicate_window: dup,
    },
    {
      name: STREAMS.events,
      subjects: ['moe.evt.>'],
      retention: RetentionPolicy.Limits,
      max_age: 0,
      duplicate_window: dup,
      allow_direct: true,
    },
    {
      name: STREAMS.deadLetters,
      subjects: ['moe.dlq.>'],
      retention: RetentionPolicy.Limits,
      max_age: nanos(30 * 24 * 3600_000),
      duplicate_window: dup,
    },
  ];
  for (const spec of specs) {
    // Raising replicas in place works on 2.9 (R1 → R3 when the cluster grows); never lower them.
    await ensureStream(jsm, { ...spec, num_replicas: replicas, discard: DiscardPolicy.Old }, (c) =>
      c.num_replicas < replicas ? { num_replicas: replicas } : null,
    );
  }
  const kvm = new Kvm(nc);
  for (const bucket of CORE_KV_BUCKETS) {
    await kvm.create(bucket, { replicas, history: 1 });
  }
}
