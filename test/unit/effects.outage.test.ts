/**
 * A NATS/JetStream outage met inside an effect is the bus's fault, not the effect's: which errors
 * count as one (actors/kernel/natsOutage.ts), how the effect retry waits it out — past
 * `maxAttempts`, with short waits, for a bounded time, whatever the handler wrapped it in
 * (actors/kernel/effects.ts) — that the llm.call handler hands it to the kernel as retryable
 * (workspace-node/effects/llmCall.ts), and that a retry after a recorded value never runs the
 * effect again (actors/kernel/effectScheduler.ts).
 */
import Database from 'better-sqlite3';
import { JetStreamApiError, JetStreamError } from '@nats-io/jetstream';
import {
  NoRespondersError,
  PermissionViolationError,
  RequestError,
  TimeoutError,
} from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import type { CommandPublisher } from '../../actors/kernel/commandPublisher.js';
import type { EffectDispatch } from '../../actors/kernel/effectDispatch.js';
import { EffectOutcomes } from '../../actors/kernel/effectOutcomes.js';
import { EffectScheduler } from '../../actors/kernel/effectScheduler.js';
import {
  isNatsOutage,
  runWithRetry,
  type EffectHandler,
  type EffectRetryPolicy,
} from '../../actors/kernel/index.js';
import { MoeError, type CommandEnvelope, type EffectSpec } from '../../schemas/index.js';
import { forKernel } from '../../workspace-node/effects/llmCall.js';
import { errors } from '../../workspace-node/errors.js';
import { fakeClock } from '../fakes/clock.js';
import { silent } from '../harness/index.js';

const address = { org: 'o', ws: 'w', kind: 'agent', id: 'a1' };
const effect = { id: '1.0', kind: 'llm.call' } as unknown as EffectSpec;
const base = () => ({ address, effect, session: 's', signal: new AbortController().signal });

/** What the limiter throws when a KV read times out (workspace-node/limits/casUpdate.ts). */
const kvTimedOut = () => errors.LIMITS_UNAVAILABLE('budget.o', { cause: new TimeoutError() });
const noResponders = () => new RequestError('no responders', { cause: new NoRespondersError('$JS.API.x') });
const apiError = (code: number, err_code: number, description: string) =>
  new JetStreamApiError({ code, err_code, description });

describe('a NATS outage', () => {
  it('is a timeout, no responders, or a cluster in transition, also wrapped in a MoeError', () => {
    expect(isNatsOutage(new TimeoutError())).toBe(true);
    expect(isNatsOutage(noResponders())).toBe(true);
    expect(isNatsOutage(kvTimedOut())).toBe(true);
    expect(isNatsOutage(apiError(503, 10008, 'JetStream system temporarily unavailable'))).toBe(true);
    expect(isNatsOutage(apiError(400, 10005, 'no suitable peers for placement'))).toBe(true);
    expect(isNatsOutage(apiError(500, 10009, 'JetStream cluster can not handle request'))).toBe(true);
    expect(isNatsOutage(Object.assign(new JetStreamError('no responders'), { code: 503 }))).toBe(true);
  });

  it('is not a refusal, a lost race, or an error from elsewhere', () => {
    const denied = new PermissionViolationError(
      'Permissions Violation for Publish',
      'publish',
      'moe.cmd.b.x',
    );
    expect(isNatsOutage(denied)).toBe(false);
    expect(isNatsOutage(new RequestError('denied', { cause: denied }))).toBe(false);
    expect(isNatsOutage(apiError(400, 10071, 'wrong last sequence: 3'))).toBe(false);
    expect(isNatsOutage(apiError(404, 10059, 'stream not found'))).toBe(false);
    expect(isNatsOutage(new DOMException('signal timed out', 'TimeoutError'))).toBe(false);
    expect(isNatsOutage(errors.LIMITS_CONTENDED('rate.anthropic after 500 attempts'))).toBe(false);
    expect(isNatsOutage(errors.BUDGET_EXCEEDED('org o'))).toBe(false);
    expect(isNatsOutage(new Error('boom'))).toBe(false);
  });
});

describe('the llm.call handler, handing errors to the kernel', () => {
  it('keeps a NATS outage retryable, and still makes a provider failure the router gave up on terminal', () => {
    const outage = forKernel(kvTimedOut()) as MoeError;
    expect(outage.retryable).toBe(true);
    expect(outage.code).toBe('MOE_ERR_LIMITS_UNAVAILABLE');
    const gaveUp = forKernel(errors.PROVIDER_UNAVAILABLE('anthropic/claude-haiku-4-5: 503')) as MoeError;
    expect(gaveUp.retryable).toBe(false);
    expect(forKernel(errors.BUDGET_EXCEEDED('org o'))).toMatchObject({ retryable: false });
  });
});

describe('the effect retry through an outage', () => {
  const policy: EffectRetryPolicy = {
    maxAttempts: 3,
    baseDelayMs: 200,
    maxDelayMs: 30_000,
    outageMs: 60_000,
    outageMaxDelayMs: 2_000,
  };

  it('retries past maxAttempts with short waits, also when the outage is wrapped in a terminal error', async () => {
    const clock = fakeClock();
    let calls = 0;
    const handler: EffectHandler = async () => {
      calls++;
      // what llm.call threw before the fix: the outage made terminal by the router's wrapper
      if (calls <= 8)
        throw new MoeError(
          { code: 'MOE_ERR_LIMITS_UNAVAILABLE', message: 'unreachable', status: 503, retryable: false },
          undefined,
          { cause: kvTimedOut() },
        );
      return 'served';
    };
    const retries: boolean[] = [];
    const outcome = await runWithRetry(handler, base(), policy, clock, (r) => retries.push(r.outage));
    expect(outcome).toEqual({ ok: true, value: 'served' });
    expect(calls).toBe(9);
    expect(retries).toEqual(Array(8).fill(true));
    expect(Math.max(...clock.sleeps)).toBeLessThanOrEqual(2_000);
  });

  it('ends the effect failed, with the error code, once the outage outlasts outageMs', async () => {
    const clock = fakeClock();
    const started = clock.now();
    const outcome = await runWithRetry(
      async () => {
        throw kvTimedOut();
      },
      base(),
      policy,
      clock,
    );
    expect(outcome).toMatchObject({ ok: false, error: { code: 'MOE_ERR_LIMITS_UNAVAILABLE' } });
    expect(clock.now() - started).toBeGreaterThanOrEqual(60_000);
    expect(clock.now() - started).toBeLessThan(60_000 + 2_000 + 1);
  });

  it('still ends at once on a terminal error, and after maxAttempts on other retryable ones', async () => {
    const terminal = await runWithRetry(
      async () => {
        throw errors.BUDGET_EXCEEDED('org o');
      },
      base(),
      policy,
      fakeClock(),
    );
    expect(terminal).toMatchObject({ ok: false, error: { code: 'MOE_ERR_BUDGET_EXCEEDED', attempts: 1 } });
    const contended = await runWithRetry(
      async () => {
        throw errors.LIMITS_CONTENDED('rate.anthropic after 500 attempts');
      },
      base(),
      policy,
      fakeClock(),
    );
    expect(contended).toMatchObject({ ok: false, error: { code: 'MOE_ERR_LIMITS_CONTENDED', attempts: 3 } });
  });
});

describe('the effect scheduler, retrying after a recorded value', () => {
  it('publishes the value an attempt recorded before meeting an outage, and does not run the effect again', async () => {
    const db = new Database(':memory:');
    db.exec(
      'CREATE TABLE effects (key TEXT NOT NULL, effect_id TEXT NOT NULL, PRIMARY KEY (key, effect_id))',
    );
    db.prepare('INSERT INTO effects VALUES (?, ?)').run('o.w.agent.a1', '1.0');
    const outcomes = new EffectOutcomes(db);
    let calls = 0;
    const dispatch = {
      specOf: (_a: unknown, e: EffectSpec) => e,
      run: async (inv: Parameters<EffectHandler>[0]) => {
        calls++;
        inv.checkpoint?.({ text: 'paid for once' });
        throw new TimeoutError(); // e.g. a KV write after the reply was recorded
      },
    } as unknown as EffectDispatch;
    const published: CommandEnvelope[] = [];
    let done: () => void = () => undefined;
    const publishedOnce = new Promise<void>((r) => (done = r));
    const publisher = {
      publishDurably: async (_to: unknown, cmd: CommandEnvelope) => {
        published.push(cmd);
        done();
      },
    } as unknown as CommandPublisher;
    const scheduler = new EffectScheduler(
      dispatch,
      publisher,
      fakeClock(),
      { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 1 },
      silent,
      outcomes,
    );
    scheduler.start(address, effect, {}, 's');
    await publishedOnce;
    expect(calls).toBe(1);
    expect(published).toEqual([
      expect.objectContaining({
        type: 'effect.result',
        data: { effectId: '1.0', value: { text: 'paid for once' } },
      }),
    ]);
    db.close();
  });
});
