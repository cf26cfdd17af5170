/**
 * Durable webhook delivery, run by the gateway (any number of replicas share the work):
 *
 *   MOE_EVT  moe.evt.*.*.budget.*            the journaled `budget.alert` events (limiter → alertJournal.ts)
 *     │  durable consumer `webhook-dispatch` (explicit ack): per alert, per endpoint of its org
 *     │  that takes the event type: open the delivery record (the "queued once" marker) and
 *     ▼  publish a job with Nats-Msg-Id = the delivery key; ack the journal message last
 *        (webhookQueue.ts; the escalation router queues `actor.escalated` the same way)
 *   MOE_WEBHOOKS  moe.webhook.<org>.<endpointId>   work-queue stream, one message per delivery
 *     │  durable consumer `webhook-deliver`: POST the body, signed (signature.ts)
 *     ▼  2xx → delivered, ack · failure → nak(backoff × 2^(n-1)) · n = max attempts → dead:
 *        dead-letter to MOE_DLQ (`moe.dlq.<org>._webhooks`, MOE_ERR_WEBHOOK_UNDELIVERABLE), term
 *
 * Why a JetStream work queue rather than a kernel effect: alerts are decided by the limiter inside
 * a provider call (not an actor's turn), and a delivery needs nothing but the event and the
 * endpoint; the work queue gives persistence, redelivery after a crash (ack wait) and per-message
 * delays (`nak(delay)`) on nats-server 2.9 with no timer of our own. Each attempt is written to the
 * delivery log (webhookStore.ts) before the message is acked or nak'ed, so a crash re-sends at
 * most the attempt in flight, and a delivery already logged as delivered is never sent again.
 * Receivers still dedupe on the `moe-event-id` header (at-least-once is all HTTP allows).
 */
import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { FOLLOWER_PULL } from '../../actors/kernel/index.js';
import type { FastifyBaseLogger } from 'fastify';
import {
  deadLetterSubject,
  decodeTurns,
  isMoeError,
  STREAMS,
  type DeadLetter,
  type DomainEvent,
} from '../../schemas/index.js';
import { errors } from '../errors.js';
import { backoffAfter, type WebhookConfig } from './webhookConfig.js';
import { DELIVERY_ID_HEADER, EVENT_ID_HEADER, SIGNATURE_HEADER, signatureHeader } from './signature.js';
import type { SecretBox } from './secretBox.js';
import {
  ensureWebhookStream,
  queueWebhook,
  WEBHOOK_STREAM,
  webhookJobSubject,
  type WebhookJob,
} from './webhookQueue.js';
import { deliveryKey, WebhookStore, type DeliveryRecord } from './webhookStore.js';

export { WEBHOOK_STREAM, webhookJobSubject };
export const ALERT_FILTER = 'moe.evt.*.*.budget.*';
const DISPATCH_CONSUMER = 'webhook-dispatch';
const DELIVER_CONSUMER = 'webhook-deliver';
/**
 * the event types webhooks carry: `budget.alert` (from the journal, below) and `actor.escalated`
 * (a restart policy escalated to the org's admins: gateway/escalationRouter.ts)
 */
export const WEBHOOK_EVENT_TYPES = ['budget.alert', 'actor.escalated'] as const;
/** the types this service's dispatcher reads from the journal */
const JOURNAL_EVENT_TYPES: readonly string[] = ['budget.alert'];
const MAX_IN_FLIGHT = 16;
const nanos = (ms: number) => ms * 1_000_000;

export interface WebhookServiceOptions {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly kv: KV;
  readonly config: WebhookConfig;
  readonly log: FastifyBaseLogger;
  readonly now?: () => number;
  /** opens the endpoints' sealed signing secrets (MOE_SECRETS_KEY); null: plain-text records only */
  readonly secretBox?: SecretBox | null;
}

export interface WebhookService {
  stop(): Promise<void>;
}

/** @example const svc = await startWebhookService({ js, jsm, kv: await openWebhookBucket(nc), config, log }); */
export async function startWebhookService(o: WebhookServiceOptions): Promise<WebhookService> {
  const now = o.now ?? Date.now;
  const store = new WebhookStore(o.kv, o.secretBox ?? null);
  await ensureWebhookStream(o.jsm);
  await o.jsm.consumers.add(STREAMS.events, {
    durable_name: DISPATCH_CONSUMER,
    filter_subject: ALERT_FILTER,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(30_000),
  });
  await o.jsm.consumers.add(WEBHOOK_STREAM, {
    durable_name: DELIVER_CONSUMER,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(o.config.timeoutMs + 30_000),
    max_ack_pending: 1000,
  });

  async function dispatch(m: JsMsg): Promise<void> {
    const events: DomainEvent[] = decodeTurns(m.data).flatMap((t) => t.events);
    for (const event of events) {
      if (!JOURNAL_EVENT_TYPES.includes(event.type)) continue;
      const body = JSON.stringify(event);
      await queueWebhook(
        o.js,
        store,
        { org: String(event.org), eventId: String(event.id), eventType: event.type, body },
        now(),
      );
    }
  }

  async function deliver(m: JsMsg): Promise<void> {
    const job = m.json<WebhookJob>();
    const n = m.info.deliveryCount;
    // a secret the key cannot open is a failed attempt with its code, retried (the operator may
    // fix MOE_SECRETS_KEY) and dead-lettered like any other; never a crashed consumer
    let keyError: string | undefined;
    const ep = await store.endpoint(job.org, job.endpointId).catch((err: unknown) => {
      if (!isMoeError(err)) throw err;
      keyError = `${err.code}: ${err.message}`;
      o.log.error({ org: job.org, endpoint: job.endpointId, code: err.code }, err.message);
      return store.endpoints(job.org).then((all) => all.find((e) => e.id === job.endpointId));
    });
    const record = await store.delivery(job.org, job.endpointId, job.eventId);
    if (record?.status === 'delivered' || record?.status === 'dead') return m.ack();
    const base = (cur: DeliveryRecord | undefined): DeliveryRecord =>
      cur ?? {
        id: `${job.endpointId}.${job.eventId}`,
        org: job.org,
        endpointId: job.endpointId,
        url: ep?.url ?? '',
        eventId: job.eventId,
        eventType: job.eventType,
        status: 'pending',
        createdAt: now(),
        attempts: [],
      };
    if (!ep) {
      await store.update(job.org, job.endpointId, job.eventId, (cur) => ({
        ...base(cur),
        status: 'dropped',
      }));
      return m.ack();
    }
    const started = now();
    let status: number | null = null;
    let error: string | undefined;
    try {
      if (keyError !== undefined || !('secret' in ep)) throw new Error(keyError ?? 'no secret');
      const res = await fetch(ep.url, {
        method: 'POST',
        body: job.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(o.config.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'moe-webhooks/1',
          [SIGNATURE_HEADER]: signatureHeader(ep.secret, job.body, Math.floor(now() / 1000)),
          [EVENT_ID_HEADER]: job.eventId,
          [DELIVERY_ID_HEADER]: `${job.endpointId}.${job.eventId}`,
        },
      });
      status = res.status;
      await res.body?.cancel().catch(() => undefined);
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const ok = status !== null && status >= 200 && status < 300;
    const attempt = { at: started, status, durationMs: now() - started, ...(error ? { error } : {}) };
    const dead = !ok && n >= o.config.maxAttempts;
    const waitMs = backoffAfter(o.config, n);
    if (dead) {
      // dead-lettered before the log says so: a reader who sees `dead` finds the letter too
      const letter: DeadLetter = {
        reason: `${errors.WEBHOOK_UNDELIVERABLE.spec.message}: ${ep.url} after ${n} attempts (last: ${status ?? error})`,
        code: errors.WEBHOOK_UNDELIVERABLE.spec.code,
        subject: m.subject,
        at: now(),
        payload: job.body,
      };
      await o.js.publish(deadLetterSubject(job.org, '_webhooks'), JSON.stringify(letter), {
        msgID: `dead/${deliveryKey(job.org, job.endpointId, job.eventId)}`,
      });
      o.log.warn(
        { org: job.org, endpoint: job.endpointId, event: job.eventId, attempts: n },
        'webhook dead-lettered',
      );
    }
    await store.update(job.org, job.endpointId, job.eventId, (cur) => {
      const { nextAttemptAt: _drop, ...b } = base(cur);
      return {
        ...b,
        attempts: [...b.attempts, attempt],
        status: ok ? 'delivered' : dead ? 'dead' : 'pending',
        ...(!ok && !dead ? { nextAttemptAt: now() + waitMs } : {}),
      };
    });
    if (ok) return m.ack();
    if (!dead) return m.nak(waitMs);
    m.term();
  }

  /** Runs `handle` on each message of a durable consumer, at most `concurrency` at once. */
  async function run(stream: string, name: string, concurrency: number, handle: (m: JsMsg) => Promise<void>) {
    const consumer = await o.js.consumers.get(stream, name);
    const messages = await consumer.consume({ ...FOLLOWER_PULL, max_messages: Math.max(concurrency, 16) });
    const inFlight = new Set<Promise<void>>();
    const done = (async () => {
      for await (const m of messages) {
        const p = handle(m)
          .catch((err: unknown) => {
            o.log.error(
              { err, subject: m.subject },
              'webhook step failed; the message is redelivered after the backoff',
            );
            m.nak(o.config.backoffMs);
          })
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
        if (inFlight.size >= concurrency) await Promise.race(inFlight);
      }
      await Promise.allSettled(inFlight);
    })();
    return async () => {
      await messages.close();
      await done;
    };
  }

  // The dispatcher handles one journal message at a time: ordering keeps "read record, queue" simple.
  const stopDispatch = await run(STREAMS.events, DISPATCH_CONSUMER, 1, async (m) => {
    await dispatch(m);
    m.ack();
  });
  const stopDeliver = await run(WEBHOOK_STREAM, DELIVER_CONSUMER, MAX_IN_FLIGHT, deliver);
  return {
    async stop() {
      await stopDispatch();
      await stopDeliver();
    },
  };
}
