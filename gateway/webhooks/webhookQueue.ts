/**
 * Queueing one event for the org's webhook endpoints: per endpoint that takes the event's type,
 * one job on the MOE_WEBHOOKS work queue (delivered, signed and retried by webhookService.ts) and
 * its delivery record opened in the log. Both sources of webhook events use it: the journal's
 * `budget.alert` (webhookService.ts's dispatcher) and the escalation router's `actor.escalated`
 * (gateway/escalationRouter.ts).
 *
 * Queued once per (endpoint, event id): a delivery record that exists queues nothing, and the job
 * is published with Nats-Msg-Id = the delivery key, so two callers racing on the same event (a
 * redelivered journal message, two gateways) publish one job within the stream's duplicate window.
 */
import { RetentionPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { ensureStream } from '../../actors/kernel/index.js';
import { deliveryKey, type WebhookStore } from './webhookStore.js';

export const WEBHOOK_STREAM = 'MOE_WEBHOOKS';
/** The subject of one delivery job on {@link WEBHOOK_STREAM}. */
export const webhookJobSubject = (org: string, endpointId: string) => `moe.webhook.${org}.${endpointId}`;
const nanos = (ms: number) => ms * 1_000_000;

/** One delivery: what the deliverer POSTs. */
export interface WebhookJob {
  readonly org: string;
  readonly endpointId: string;
  readonly eventId: string;
  readonly eventType: string;
  /** the exact bytes sent and signed on every attempt */
  readonly body: string;
}

/** The event to send: its org, id (the receivers' `moe-event-id`, a KV key token), type and body. */
export type WebhookEvent = Pick<WebhookJob, 'org' | 'eventId' | 'eventType' | 'body'>;

/** Creates the webhook work queue if it is missing (the service and the escalation router both send). */
export async function ensureWebhookStream(jsm: JetStreamManager): Promise<void> {
  await ensureStream(jsm, {
    name: WEBHOOK_STREAM,
    subjects: ['moe.webhook.>'],
    retention: RetentionPolicy.Workqueue,
    duplicate_window: nanos(10 * 60_000),
  });
}

/**
 * Queues `event` for every endpoint of its org that takes its type; answers how many endpoints
 * take it (queued now or before).
 *
 * @example await queueWebhook(js, store, { org, eventId, eventType: 'budget.alert', body }, Date.now());
 */
export async function queueWebhook(
  js: JetStreamClient,
  store: WebhookStore,
  event: WebhookEvent,
  now: number,
): Promise<number> {
  const { org, eventId, eventType } = event;
  let taking = 0;
  for (const ep of await store.endpoints(org)) {
    if (!ep.events.includes(eventType)) continue;
    taking++;
    // opened once: an event read twice finds the record and queues nothing
    if (await store.delivery(org, ep.id, eventId)) continue;
    const job: WebhookJob = { ...event, endpointId: ep.id };
    await js.publish(webhookJobSubject(org, ep.id), JSON.stringify(job), {
      msgID: deliveryKey(org, ep.id, eventId),
    });
    await store.open({
      id: `${ep.id}.${eventId}`,
      org,
      endpointId: ep.id,
      url: ep.url,
      eventId,
      eventType,
      status: 'pending',
      createdAt: now,
      attempts: [],
    });
  }
  return taking;
}
