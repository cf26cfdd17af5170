/**
 * Turns whatever a provider SDK threw into a typed {@link MoeError} the runtime can act on:
 * retryable (429, 408/409, 5xx, 529 overloaded, timeouts, refused/reset connections, a stream
 * that broke mid-way) or terminal (any other 4xx, cancellation by the caller). Both SDKs
 * (`@anthropic-ai/sdk`, `openai`) expose `status` and `headers` on their `APIError`, so the
 * classification reads those fields rather than depending on either class.
 *
 * Server hints win: `x-should-retry` (what both SDKs honour) overrides the status rule, and
 * `retry-after-ms` / `retry-after` (seconds or an HTTP date) become `retryAfterMs`.
 */
import { isMoeError, type MoeError } from '../../schemas/index.js';
import { errors } from '../errors.js';

export interface ClassifyContext {
  readonly provider: string;
  readonly model: string;
  /** the caller's signal aborted: never retried */
  readonly cancelled?: boolean;
  /** our own per-attempt timeout fired: retryable */
  readonly timedOut?: boolean;
  /** for HTTP-date retry-after */
  readonly now?: number;
}

interface HeaderBag {
  get(name: string): string | null;
}

/** Parses `retry-after-ms`, then `retry-after` (delta seconds or HTTP date); undefined when absent or bad. */
export function parseRetryAfter(headers: HeaderBag | undefined | null, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '') {
    const n = Number(ms);
    if (Number.isFinite(n) && n >= 0) return Math.ceil(n);
  }
  const ra = headers.get('retry-after');
  if (ra === null || ra.trim() === '') return undefined;
  const seconds = Number(ra);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.ceil(seconds * 1000) : undefined;
  const date = Date.parse(ra);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const TERMINAL_ERROR_TYPES = new Set([
  'invalid_request_error',
  'authentication_error',
  'permission_error',
  'not_found_error',
  'request_too_large',
  'billing_error',
]);

export function classifyProviderError(err: unknown, ctx: ClassifyContext): MoeError {
  if (isMoeError(err)) return err;
  const where = `${ctx.provider}/${ctx.model}`;
  const details = { provider: ctx.provider, model: ctx.model };
  if (ctx.cancelled) return errors.LLM_CANCELLED(where, { cause: err, details });
  if (ctx.timedOut) return errors.PROVIDER_TIMEOUT(where, { cause: err, details });

  const e = err as {
    status?: unknown;
    headers?: unknown;
    error?: unknown;
    name?: unknown;
    message?: unknown;
  };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const name = typeof e?.name === 'string' ? e.name : '';
  if (name === 'APIConnectionTimeoutError') return errors.PROVIDER_TIMEOUT(where, { cause: err, details });

  const headers = isHeaderBag(e?.headers) ? e.headers : undefined;
  if (typeof e?.status === 'number') {
    const status = e.status;
    const retryAfterMs = parseRetryAfter(headers, ctx.now);
    const withStatus = { cause: err, retryAfterMs, details: { ...details, status } };
    const detail = `${where}: ${status} ${message}`;
    const hint = headers?.get('x-should-retry');
    if (status === 429) return errors.PROVIDER_RATE_LIMITED(detail, withStatus);
    if (hint === 'true') return errors.PROVIDER_UNAVAILABLE(detail, withStatus);
    if (hint === 'false') return errors.PROVIDER_REJECTED(detail, withStatus);
    if (status === 408 || status === 409 || status >= 500)
      return errors.PROVIDER_UNAVAILABLE(detail, withStatus);
    return errors.PROVIDER_REJECTED(detail, withStatus);
  }
  // An error event inside an SSE stream (no HTTP status): judge by the error type it names.
  const type = errorType(e?.error);
  if (type !== undefined) {
    if (type === 'rate_limit_error')
      return errors.PROVIDER_RATE_LIMITED(`${where}: ${message}`, { cause: err, details });
    if (TERMINAL_ERROR_TYPES.has(type))
      return errors.PROVIDER_REJECTED(`${where}: ${message}`, { cause: err, details });
  }
  // Connection refused/reset, a socket destroyed mid-stream ("terminated"), a truncated SSE body:
  // the request may well succeed on another attempt.
  return errors.PROVIDER_UNAVAILABLE(`${where}: ${message}`, { cause: err, details });
}

function isHeaderBag(value: unknown): value is HeaderBag {
  return typeof value === 'object' && value !== null && typeof (value as HeaderBag).get === 'function';
}

function errorType(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as { type?: unknown; error?: { type?: unknown } };
  if (typeof b.error?.type === 'string') return b.error.type;
  return typeof b.type === 'string' && b.type !== 'error' ? b.type : undefined;
}
