/**
 * The provider retry loop on the kernel's clock: it sleeps the one backoff, and an abort while it
 * waits reaches the caller as the providers' own error (MOE_ERR_LLM_CANCELLED), not the kernel's
 * abort reason.
 */
import { describe, expect, it } from 'vitest';
import { MoeError } from '../../schemas/index.js';
import { errors } from '../../workspace-node/errors.js';
import { withRetry } from '../../workspace-node/providers/index.js';
import { fakeClock } from '../fakes/clock.js';
import { simulatedClock } from '../fakes/simulatedClock.js';

const flaky = () => errors.PROVIDER_UNAVAILABLE('down for a moment');

describe('withRetry', () => {
  it('retries a retryable failure after the backoff and returns the success', async () => {
    const clock = fakeClock();
    let calls = 0;
    const out = await withRetry(
      async () => {
        if (++calls < 3) throw flaky();
        return 'ok';
      },
      {
        clock,
        random: () => 0.5,
        policy: { maxAttempts: 3, baseDelayMs: 400, maxDelayMs: 8_000, maxWaitMs: 30_000 },
        classify: () => flaky(),
      },
    );
    expect(out).toBe('ok');
    expect(clock.sleeps).toEqual([300, 600]);
  });

  it('an abort while waiting to retry rejects with LLM_CANCELLED', async () => {
    const clock = simulatedClock();
    const stop = new AbortController();
    const call = withRetry(
      async () => {
        throw flaky();
      },
      { clock, signal: stop.signal, classify: () => flaky() },
    );
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    expect(clock.pending).toBe(1); // asleep before the second attempt
    stop.abort(new Error('kernel stopping'));
    const err = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MoeError);
    expect((err as MoeError).code).toBe('MOE_ERR_LLM_CANCELLED');
    expect(((err as MoeError).cause as Error).message).toBe('kernel stopping');
  });

  it('gives up at once on a retry-after longer than the policy will wait', async () => {
    const clock = fakeClock();
    let calls = 0;
    const err = await withRetry(
      async () => {
        calls++;
        throw errors.PROVIDER_RATE_LIMITED('slow down', { retryAfterMs: 120_000 });
      },
      { clock, classify: () => flaky() },
    ).then(
      () => undefined,
      (e: unknown) => e as MoeError,
    );
    expect(err?.code).toBe('MOE_ERR_PROVIDER_RATE_LIMITED');
    expect(calls).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });
});
