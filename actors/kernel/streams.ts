/**
 * Creates the streams and KV buckets the platform needs, idempotently: safe to run from every
 * process at every start. Replicas come from config (1 embedded, 3 in a cluster).
 */
import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream';
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
    const existing = await jsm.streams.info(spec.name).catch(() => null);
    if (existing) {
      // Raising replicas in place works on 2.9 (R1 → R3 when the cluster grows); never lower them.
      if (existing.config.num_replicas < replicas)
        await jsm.streams.update(spec.name, { ...existing.config, num_replicas: replicas });
      continue;
    }
    await jsm.streams.add({
      ...spec,
      storage: StorageType.File,
      num_replicas: replicas,
      discard: DiscardPolicy.Old,
    });
  }
  const kvm = new Kvm(nc);
  for (const bucket of CORE_KV_BUCKETS) {
    await kvm.create(bucket, { replicas, history: 1 });
  }
}
