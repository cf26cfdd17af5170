/**
 * Signed webhooks for domain events (`budget.alert`, `actor.escalated`): endpoint registry and
 * delivery log in KV, durable delivery over a JetStream work queue with retries, backoff and dead
 * letters.
 */
export {
  DELIVERY_ID_HEADER,
  EVENT_ID_HEADER,
  SIGNATURE_HEADER,
  DEFAULT_TOLERANCE_SEC,
  signatureHeader,
  verifySignature,
} from './signature.js';
export {
  openWebhookBucket,
  WebhookStore,
  WEBHOOKS_BUCKET,
  type DeliveryAttempt,
  type DeliveryRecord,
  type DeliveryStatus,
  type WebhookEndpoint,
  type WebhookEndpointInfo,
} from './webhookStore.js';
export { keyIdOf, parseSecretsKey, secretBox, secretBoxFromEnv, type SecretBox } from './secretBox.js';
export {
  backoffAfter,
  DEFAULT_WEBHOOK_CONFIG,
  webhookConfigFromEnv,
  type WebhookConfig,
} from './webhookConfig.js';
export {
  ensureWebhookStream,
  queueWebhook,
  webhookJobSubject,
  type WebhookEvent,
  type WebhookJob,
} from './webhookQueue.js';
export {
  ALERT_FILTER,
  startWebhookService,
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_STREAM,
  type WebhookService,
  type WebhookServiceOptions,
} from './webhookService.js';
