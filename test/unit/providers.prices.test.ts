/**
 * Prices, plans, error classification and the circuit breaker as plain functions: exact money,
 * clear errors for unknown models and plans, retry-after parsing, breaker state transitions.
 */
import { describe, expect, it } from 'vitest';
import {
  CircuitBreaker,
  classifyProviderError,
  costOf,
  costPicos,
  DEFAULT_PRICE_TABLE,
  lookupPrice,
  parseRetryAfter,
  planResolver,
  priceOf,
} from '../../workspace-node/providers/index.js';
import { fakeClock } from '../fakes/clock.js';

const usage = (inputTokens: number, outputTokens = 0, cacheReadTokens = 0, cacheWriteTokens = 0) => ({
  inputTokens,
  outputTokens,
  cacheReadTokens,
  cacheWriteTokens,
});

describe('prices', () => {
  it('computes cost in exact integer pico-dollars, with no float drift', () => {
    // 3 × $0.1/MTok is 0.30000000000000004 in floats; here it is exactly 300 000 pico-dollars
    expect(costPicos(usage(3), { input: 0.1, output: 0, cacheRead: 0, cacheWrite: 0 })).toBe(300_000n);
    const price = { input: 0.075, output: 0.3, cacheRead: 0.01875, cacheWrite: 0 };
    let sum = 0n;
    for (let i = 0; i < 1000; i++) sum += costPicos(usage(7, 3, 11), price);
    expect(sum).toBe(1000n * (7n * 75_000n + 3n * 300_000n + 11n * 18_750n));
  });

  it('rounds a call up to whole micro-dollars so we never under-bill', () => {
    const sonnet = lookupPrice(DEFAULT_PRICE_TABLE, 'anthropic', 'claude-sonnet-4-5');
    expect(costOf(usage(1), sonnet)).toBe(3);
    expect(costOf(usage(0, 0, 1), sonnet)).toBe(1); // 0.3 µ$ → 1 µ$
    expect(costOf(usage(1_000_000, 1_000_000, 1_000_000, 1_000_000), sonnet)).toBe(
      3_000_000 + 15_000_000 + 300_000 + 3_750_000,
    );
  });

  it('applies the plan markup exactly, rounding up', () => {
    expect(priceOf(10_500, 5)).toBe(52_500);
    expect(priceOf(3, 1.25)).toBe(4);
    expect(priceOf(0, 5)).toBe(0);
  });

  it('names the provider, model and table version when a price is unknown', () => {
    expect(() => lookupPrice(DEFAULT_PRICE_TABLE, 'openai', 'gpt-9')).toThrow(
      expect.objectContaining({
        code: 'MOE_ERR_PRICE_UNKNOWN',
        details: { provider: 'openai', model: 'gpt-9', priceTable: DEFAULT_PRICE_TABLE.version },
      }) as Error,
    );
  });

  it('puts orgs on the 5x standard plan unless configured otherwise', () => {
    const planOf = planResolver({ orgPlans: { acme: 'enterprise' } });
    expect(planOf('someone').markup).toBe(5);
    expect(planOf('acme').markup).toBe(3);
    expect(() => planResolver({ orgPlans: { acme: 'gold' } })).toThrow(
      expect.objectContaining({ code: 'MOE_ERR_PLAN_UNKNOWN' }) as Error,
    );
  });
});

describe('error classification', () => {
  const ctx = { provider: 'p', model: 'm', now: Date.UTC(2025, 0, 1) };
  const apiError = (status: number, headers: Record<string, string> = {}) =>
    Object.assign(new Error(`status ${status}`), { status, headers: new Headers(headers) });

  it('parses retry-after as seconds, as an HTTP date, and retry-after-ms first', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after': '2.5' }))).toBe(2_500);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:09 GMT' }), ctx.now)).toBe(
      9_000,
    );
    expect(parseRetryAfter(new Headers({ 'retry-after': '9', 'retry-after-ms': '120' }))).toBe(120);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(parseRetryAfter(new Headers())).toBeUndefined();
  });

  it('makes 429, 5xx, 529 and connection failures retryable and other 4xx terminal', () => {
    expect(classifyProviderError(apiError(429, { 'retry-after': '3' }), ctx)).toMatchObject({
      code: 'MOE_ERR_PROVIDER_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 3_000,
    });
    expect(classifyProviderError(apiError(529), ctx)).toMatchObject({
      code: 'MOE_ERR_PROVIDER_UNAVAILABLE',
      retryable: true,
    });
    expect(classifyProviderError(apiError(408), ctx).retryable).toBe(true);
    expect(classifyProviderError(apiError(401), ctx)).toMatchObject({
      code: 'MOE_ERR_PROVIDER_REJECTED',
      retryable: false,
    });
    expect(classifyProviderError(apiError(400, { 'x-should-retry': 'true' }), ctx).retryable).toBe(true);
    expect(classifyProviderError(new TypeError('terminated'), ctx)).toMatchObject({
      code: 'MOE_ERR_PROVIDER_UNAVAILABLE',
      retryable: true,
    });
    expect(classifyProviderError(new Error('x'), { ...ctx, cancelled: true }).code).toBe(
      'MOE_ERR_LLM_CANCELLED',
    );
  });
});

describe('circuit breaker', () => {
  it('opens after N consecutive failures, admits one probe after the cooldown, and closes on its success', () => {
    const clock = fakeClock();
    const b = new CircuitBreaker('p/m', { failureThreshold: 3, cooldownMs: 1_000 }, clock);
    b.onFailure();
    b.onFailure();
    b.onSuccess(); // success resets the count
    b.onFailure();
    b.onFailure();
    expect(b.state).toBe('closed');
    b.onFailure();
    expect(b.state).toBe('open');
    expect(b.tryAcquire()).toBe(false);
    clock.advance(1_000);
    expect(b.state).toBe('half-open');
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false); // one probe only
    b.onSuccess();
    expect(b.state).toBe('closed');
  });

  it('re-opens for another cooldown when the probe fails', () => {
    const clock = fakeClock();
    const b = new CircuitBreaker('p/m', { failureThreshold: 1, cooldownMs: 1_000 }, clock);
    b.onFailure();
    clock.advance(1_000);
    expect(b.tryAcquire()).toBe(true);
    b.onFailure();
    expect(b.state).toBe('open');
    expect(b.snapshot().retryAt).toBe(clock.now() + 1_000);
  });
});
