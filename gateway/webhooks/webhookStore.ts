/**
 * Where webhooks live: the `moe_webhooks` JetStream KV bucket, shared by every gateway replica.
 *
 *   ep.<org>.<endpointId>                 an endpoint: url, events, its signing secret sealed
 *                                         (AES-256-GCM under MOE_SECRETS_KEY, webhooks/secretBox.ts)
 *   dl.<org>.<endpointId>.<eventId>       one delivery: status and every attempt (the delivery log)
 *
 * The delivery key doubles as the dispatcher's "already queued" marker, so an alert read twice
 * from the journal (a redelivery) is queued once per endpoint.
 *
 * A record written before secrets were sealed (`secret` in plain text) is still read, and sealed
 * when next read with a key configured — as is one sealed under a previous key (rotation).
 */
import { randomBytes } from 'node:crypto';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { kvCas, kvKeys } from '../../actors/kernel/index.js';
import { errors } from '../errors.js';
import type { SecretBox } from './secretBox.js';

export const WEBHOOKS_BUCKET = 'moe_webhooks';

export interface WebhookEndpoint {
  readonly id: string;
  readonly org: string;
  readonly url: string;
  /** the HMAC key; returned once, at creation */
  readonly secret: string;
  /** event types sent; default every type (`budget.alert`, `actor.escalated`) */
  readonly events: readonly string[];
  readonly createdAt: number;
}

/** An endpoint without its secret: what listing and dispatching need. */
export type WebhookEndpointInfo = Omit<WebhookEndpoint, 'secret'>;

/** The KV value of an endpoint: `sealedSecret`, or `secret` in plain text (written before sealing). */
interface StoredEndpoint extends WebhookEndpointInfo {
  readonly sealedSecret?: string;
  readonly secret?: string;
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
  /** `box`: seals secrets (null: no MOE_SECRETS_KEY; only plain-text records of old can be read) */
  constructor(
    readonly kv: KV,
    readonly box: SecretBox | null = null,
  ) {}

  private requireBox(): SecretBox {
    if (!this.box)
      throw errors.SECRETS_KEY_MISSING('set MOE_SECRETS_KEY (docs/billing.md: webhook secrets at rest)');
    return this.box;
  }

  async create(org: string, url: string, events: readonly string[], now = Date.now()) {
    const box = this.requireBox();
    const ep: WebhookEndpoint = {
      id: `h${randomBytes(8).toString('hex')}`,
      org,
      url,
      secret: `whsec_${randomBytes(32).toString('base64url')}`,
      events,
      createdAt: now,
    };
    const { secret, ...info } = ep;
    const stored: StoredEndpoint = { ...info, sealedSecret: box.seal(secret) };
    await this.kv.create(endpointKey(org, ep.id), JSON.stringify(stored));
    return ep;
  }

  /**
   * One endpoint with its secret opened; a plain-text (old) record, or one sealed under a previous
   * key, is sealed under the current key on the way. MOE_ERR_SECRETS_KEY_WRONG when the key does
   * not open it, MOE_ERR_SECRETS_KEY_MISSING when a sealed secret meets no key.
   */
  async endpoint(org: string, id: string): Promise<WebhookEndpoint | undefined> {
    const e = await this.kv.get(endpointKey(org, id));
    if (!e || e.operation !== 'PUT') return undefined;
    const stored = e.json<StoredEndpoint>();
    const { sealedSecret, secret: plain, ...info } = stored;
    const secret = sealedSecret !== undefined ? this.requireBox().open(sealedSecret) : plain;
    if (secret === undefined) throw errors.SECRETS_KEY_WRONG(`endpoint ${id} has no secret stored`);
    const box = this.box;
    if (box && (sealedSecret === undefined || box.stale(sealedSecret)))
      await this.reseal(org, id, e.revision, { ...info, sealedSecret: box.seal(secret) });
    return { ...info, secret };
  }

  /** Writes the sealed record unless the endpoint changed meanwhile (then the next read does it). */
  private async reseal(org: string, id: string, revision: number, stored: StoredEndpoint) {
    await this.kv.update(endpointKey(org, id), JSON.stringify(stored), revision).catch(() => undefined);
  }

  /** The org's endpoints, without their secrets (nothing to open). */
  async endpoints(org: string): Promise<WebhookEndpointInfo[]> {
    const all = await this.values<StoredEndpoint>(`ep.${org}.*`);
    return all.map(({ sealedSecret: _s, secret: _p, ...info }) => info);
  }

  /** false when there was none */
  async remove(org: string, id: string): Promise<boolean> {
    const e = await this.kv.get(endpointKey(org, id));
    if (!e || e.operation !== 'PUT') return false;
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
    const out: T[] = [];
    for (const k of await kvKeys(this.kv, filter)) {
      const e = await this.kv.get(k);
      if (e && e.operation === 'PUT') out.push(JSON.parse(decoder.decode(e.value)) as T);
    }
    return out;
  }
}
