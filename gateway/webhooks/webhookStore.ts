/**
 * Where webhooks live: the `moe_webhooks` JetStream KV bucket, shared by every gateway replica.
 *
 *   ep.<org>.<endpointId>                 an endpoint: url, secret (needed to sign), events
 *   dl.<org>.<endpointId>.<eventId>       one delivery: status and every attempt (the delivery log)
 *
 * The delivery key doubles as the dispatcher's "already queued" marker, so an alert read twice
 * from the journal (a redelivery) is queued once per endpoint.
 */
import { randomBytes } from 'node:crypto';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { kvCas } from '../../actors/kernel/index.js';

export const WEBHOOKS_BUCKET = 'moe_webhooks';

export interface WebhookEndpoint {
  readonly id: string;
  readonly org: string;
  readonly url: string;
  /** the HMAC key; returned once, at creation */
  readonly secret: string;
  /** event types sent; default every alert type (`budget.alert`) */
  readonly events: readonly string[];
  readonly createdAt: number;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'dead' | 'dropped';

export interface DeliveryAttempt {
  readonly at: number;
  /** HTTP status, or null when no answer came (connection refused, timeout) */
  readonly status: number | null;
  readonly error?: string;
  readonly durationMs: number;
}

export interface DeliveryRecord {
  readonly id: string;
  readonly org: string;
  readonly endpointId: string;
  readonly url: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly status: DeliveryStatus;
  readonly createdAt: number;
  readonly attempts: readonly DeliveryAttempt[];
  /** when the next attempt is due (pending after a failure) */
  readonly nextAttemptAt?: number;
}

const decoder = new TextDecoder();

export async function openWebhookBucket(nc: NatsConnection): Promise<KV> {
  return new Kvm(nc).create(WEBHOOKS_BUCKET, { history: 1 });
}

export const endpointKey = (org: string, id: string) => `ep.${org}.${id}`;
export const deliveryKey = (org: string, endpointId: string, eventId: string) =>
  `dl.${org}.${endpointId}.${eventId}`;

/** @example const store = new WebhookStore(await openWebhookBucket(nc)); await store.create('o1', 'https://…'); */
export class WebhookStore {
  constructor(readonly kv: KV) {}

  async create(org: string, url: string, events: readonly string[], now = Date.now()) {
    const ep: WebhookEndpoint = {
      id: `h${randomBytes(8).toString('hex')}`,
      org,
      url,
      secret: `whsec_${randomBytes(32).toString('base64url')}`,
      events,
      createdAt: now,
    };
    await this.kv.create(endpointKey(org, ep.id), JSON.stringify(ep));
    return ep;
  }

  async endpoint(org: string, id: string): Promise<WebhookEndpoint | undefined> {
    const e = await this.kv.get(endpointKey(org, id));
    return e && e.operation === 'PUT' ? e.json<WebhookEndpoint>() : undefined;
  }

  async endpoints(org: string): Promise<WebhookEndpoint[]> {
    return this.values<WebhookEndpoint>(`ep.${org}.*`);
  }

  /** false when there was none */
  async remove(org: string, id: string): Promise<boolean> {
    if (!(await this.endpoint(org, id))) return false;
    await this.kv.delete(endpointKey(org, id));
    return true;
  }

  async delivery(org: string, endpointId: string, eventId: string): Promise<DeliveryRecord | undefined> {
    const e = await this.kv.get(deliveryKey(org, endpointId, eventId));
    return e && e.operation === 'PUT' ? e.json<DeliveryRecord>() : undefined;
  }

  /** Newest first. */
  async deliveries(org: string): Promise<DeliveryRecord[]> {
    const all = await this.values<DeliveryRecord>(`dl.${org}.>`);
    return all.sort((a, b) => b.createdAt - a.createdAt);
  }

  /** Writes the record unless one exists; true when this call wrote it. */
  async open(rec: DeliveryRecord): Promise<boolean> {
    try {
      await this.kv.create(deliveryKey(rec.org, rec.endpointId, rec.eventId), JSON.stringify(rec));
      return true;
    } catch {
      return false;
    }
  }

  async update(
    org: string,
    endpointId: string,
    eventId: string,
    change: (cur: DeliveryRecord | undefined) => DeliveryRecord,
  ): Promise<DeliveryRecord> {
    return kvCas<DeliveryRecord>(this.kv, deliveryKey(org, endpointId, eventId), change);
  }

  private async values<T>(filter: string): Promise<T[]> {
    const keys: string[] = [];
    for await (const k of await this.kv.keys(filter)) keys.push(k);
    const out: T[] = [];
    for (const k of keys) {
      const e = await this.kv.get(k);
      if (e && e.operation === 'PUT') out.push(JSON.parse(decoder.decode(e.value)) as T);
    }
    return out;
  }
}
