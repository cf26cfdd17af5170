/**
 * The gateway's error catalogue: every 4xx/5xx the REST/WebSocket API answers carries one of these
 * stable codes in `{ error: { code, message } }`. Documented in docs/errors.md (generated from all
 * catalogues; a test fails when it drifts).
 */
import { machineErrors } from '../actors/index.js';
import { kernelErrors } from '../actors/kernel/errors.js';
import { defineErrors, SEARCH_ERROR_SPECS } from '../schemas/index.js';

export const errors = defineErrors('gateway', {
  VALIDATION: { code: 'MOE_ERR_VALIDATION', message: 'request does not match the route schema', status: 400 },
  MALFORMED_JSON: { code: 'MOE_ERR_MALFORMED_JSON', message: 'request body is not valid JSON', status: 400 },
  PAYLOAD_TOO_LARGE: {
    code: 'MOE_ERR_PAYLOAD_TOO_LARGE',
    message: 'request body exceeds the size limit',
    status: 413,
  },
  UNSUPPORTED_MEDIA_TYPE: {
    code: 'MOE_ERR_UNSUPPORTED_MEDIA_TYPE',
    message: 'content type is not supported',
    status: 415,
  },
  BAD_REQUEST: { code: 'MOE_ERR_BAD_REQUEST', message: 'request could not be understood', status: 400 },
  ROUTE_NOT_FOUND: {
    code: 'MOE_ERR_ROUTE_NOT_FOUND',
    message: 'no route for this method and path',
    status: 404,
  },
  UNAUTHENTICATED: {
    code: 'MOE_ERR_UNAUTHENTICATED',
    message: 'missing, invalid, expired or revoked credentials',
    status: 401,
  },
  BAD_CREDENTIALS: { code: 'MOE_ERR_BAD_CREDENTIALS', message: 'email or password is wrong', status: 401 },
  FORBIDDEN: { code: 'MOE_ERR_FORBIDDEN', message: 'your role does not allow this', status: 403 },
  NOT_FOUND: { code: 'MOE_ERR_NOT_FOUND', message: 'no such resource', status: 404 },
  CONFLICT: {
    code: 'MOE_ERR_CONFLICT',
    message: 'the resource is not in a state that accepts this',
    status: 409,
  },
  /** the session actor's refusal (`task.refused`), same code and status as the machine's catalogue */
  SESSION_EXPIRED: machineErrors.SESSION_EXPIRED.spec,
  EMAIL_TAKEN: { code: 'MOE_ERR_EMAIL_TAKEN', message: 'a user with this email already exists', status: 409 },
  NOT_SUPPORTED: {
    code: 'MOE_ERR_NOT_SUPPORTED',
    message: 'this operation is not supported by the runtime yet',
    status: 501,
  },
  COMMAND_REFUSED: {
    code: 'MOE_ERR_COMMAND_REFUSED',
    message: 'the runtime refused the command (it was dead-lettered)',
    status: 422,
  },
  OPERATOR_ROLE_REQUIRED: {
    code: 'MOE_ERR_OPERATOR_ROLE_REQUIRED',
    message: 'only a platform operator may create an API key with the platform-operator role',
    status: 403,
  },
  /** a command to an actor its restart policy stopped (dead-lettered; 409 until an operator restarts it) */
  ACTOR_STOPPED: kernelErrors.ACTOR_STOPPED.spec,
  IDEMPOTENCY_KEY: {
    code: 'MOE_ERR_IDEMPOTENCY_KEY',
    message: 'Idempotency-Key must be 1–200 printable ASCII characters',
    status: 400,
  },
  RATE_LIMITED: {
    code: 'MOE_ERR_RATE_LIMITED',
    message: 'too many requests, retry after the given delay',
    status: 429,
    retryable: true,
  },
  TOO_MANY_STREAMS: {
    code: 'MOE_ERR_TOO_MANY_STREAMS',
    message: 'too many concurrent streams for this caller; close one or retry later',
    status: 429,
    retryable: true,
  },
  TIMEOUT: {
    code: 'MOE_ERR_GATEWAY_TIMEOUT',
    message: 'the actor did not answer in time (is a workspace node running?)',
    status: 504,
    retryable: true,
  },
  NATS_UNAVAILABLE: {
    code: 'MOE_ERR_NATS_UNAVAILABLE',
    message: 'NATS or JetStream is not reachable',
    status: 503,
    retryable: true,
  },
  CURSOR_PURGED: {
    code: 'MOE_ERR_CURSOR_PURGED',
    message:
      'journal entries after this cursor were purged from MOE_EVT; resume from the first available sequence (details.since) or from=now',
    status: 410,
  },
  JOURNAL_PURGED: {
    code: 'MOE_ERR_JOURNAL_PURGED',
    message:
      'journal entries this reader needs were purged after a verified backup, and no snapshot here covers them (restore from a snapshot or backup that covers the purge point)',
    status: 503,
  },
  REPLAY_REQUEST: {
    code: 'MOE_ERR_REPLAY_REQUEST',
    message: 'replay request is not valid (ReplayRequest.json; the filter must be inside moe.evt.<org>.>)',
    status: 400,
  },
  NATS_AUTH_NOT_CONFIGURED: {
    code: 'MOE_ERR_NATS_AUTH_NOT_CONFIGURED',
    message: 'per-org NATS credentials are not set up on this gateway (moe creds init; MOE_NATS_AUTH_DIR)',
    status: 501,
  },
  UPGRADE_REQUIRED: {
    code: 'MOE_ERR_UPGRADE_REQUIRED',
    message: 'this route speaks WebSocket only: open it with an Upgrade: websocket request',
    status: 426,
  },
  // log search (routes/search.ts): the hosting node's refusals, same specs as its catalogue
  SEARCH_QUERY: SEARCH_ERROR_SPECS.SEARCH_QUERY,
  SEARCH_REQUEST: SEARCH_ERROR_SPECS.SEARCH_REQUEST,
  SEARCH_FAILED: SEARCH_ERROR_SPECS.SEARCH_FAILED,
  SEARCH_UNAVAILABLE: {
    code: 'MOE_ERR_SEARCH_UNAVAILABLE',
    message:
      'no workspace-node hosts this workspace right now, so its log index cannot be searched; retry later',
    status: 503,
    retryable: true,
  },
  // payments (routes/stripeWebhook.ts)
  STRIPE_SIGNATURE: {
    code: 'MOE_ERR_STRIPE_SIGNATURE',
    message:
      'the Stripe-Signature header is missing, malformed, too old or does not match the body under MOE_STRIPE_WEBHOOK_SECRET',
    status: 400,
  },
  STRIPE_NOT_CONFIGURED: {
    code: 'MOE_ERR_STRIPE_NOT_CONFIGURED',
    message: 'Stripe webhooks are not set up on this gateway (MOE_STRIPE_WEBHOOK_SECRET)',
    status: 501,
  },
  NOT_READY: { code: 'MOE_ERR_NOT_READY', message: 'gateway is not ready', status: 503, retryable: true },
  INTERNAL: { code: 'MOE_ERR_INTERNAL', message: 'internal gateway error', status: 500 },
  /** the board actor's refusals (`board.move.refused`), same codes and statuses as the machine's catalogue */
  WIP_LIMIT: machineErrors.WIP_LIMIT.spec,
  TIME_ZONE_UNKNOWN: machineErrors.TIME_ZONE_UNKNOWN.spec,
  PERIOD_OPEN: machineErrors.PERIOD_OPEN.spec,
  PERIOD_INVALID: machineErrors.PERIOD_INVALID.spec,
  LANE_UNKNOWN: machineErrors.LANE_UNKNOWN.spec,
  LANE_NOT_EMPTY: machineErrors.LANE_NOT_EMPTY.spec,
  CARD_EXISTS: machineErrors.CARD_EXISTS.spec,
  CONSOLE_HEADER_REQUIRED: {
    code: 'MOE_ERR_CONSOLE_HEADER_REQUIRED',
    message:
      'console actions need the x-moe-console header (sent by the console page; stops cross-site posts)',
    status: 403,
  },
  // webhooks (routes/webhooks.ts, webhooks/)
  WEBHOOK_URL: {
    code: 'MOE_ERR_WEBHOOK_URL',
    message: 'a webhook URL must be an absolute http:// or https:// URL',
    status: 400,
  },
  WEBHOOK_UNDELIVERABLE: {
    code: 'MOE_ERR_WEBHOOK_UNDELIVERABLE',
    message: 'the webhook receiver failed every attempt: the delivery is dead-lettered',
    status: 502,
  },
  // webhook signing secrets at rest (webhooks/secretBox.ts)
  SECRETS_KEY_INVALID: {
    code: 'MOE_ERR_SECRETS_KEY_INVALID',
    message: 'MOE_SECRETS_KEY (or MOE_SECRETS_KEY_PREVIOUS) is not a 32-byte key in base64',
    status: 500,
  },
  SECRETS_KEY_MISSING: {
    code: 'MOE_ERR_SECRETS_KEY_MISSING',
    message: 'no MOE_SECRETS_KEY on this gateway: webhook secrets cannot be sealed or opened',
    status: 503,
  },
  SECRETS_KEY_WRONG: {
    code: 'MOE_ERR_SECRETS_KEY_WRONG',
    message: 'a stored webhook secret does not open with the configured MOE_SECRETS_KEY',
    status: 500,
  },
});
