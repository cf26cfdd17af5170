/**
 * Supervision inside a node: an effect that throws a retryable error is retried with backoff and
 * its result journaled once; one that keeps failing (or fails terminally) ends as `effect.failed`
 * with the reason journaled, and the agent goes to `failed` — the node keeps running. The kernel's
 * stats count each effect once when it starts and once more if it ends failed.
 *
 * Backoffs run on the simulated clock (test/fakes/simulatedClock.ts): a retry happens only when
 * the test moves time on, so the waits measured are the waits the policy chose, whatever the load.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EffectHandler } from '../../actors/kernel/index.js';
import { defineErrors } from '../../schemas/index.js';
import { simulatedClock, type SimulatedClock } from '../fakes/simulatedClock.js';
import { startPlatform, type Platform } from '../harness/index.js';

const testErrors = defineErrors('test', {
  FLAKY: { code: 'MOE_ERR_TEST_FLAKY', message: 'flaky provider', retryable: true },
  FATAL: { code: 'MOE_ERR_TEST_FATAL', message: 'provider refused' },
});

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => p?.close());

const reply = {
  text: 'ok',
  toolCalls: [],
  stopReason: 'end_turn',
  provider: 'test',
  model: 't',
  usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 },
};

/** Moves simulated time on in 5 ms steps (letting the node work between steps) until `work` settles. */
async function drive<T>(clock: SimulatedClock, work: Promise<T>): Promise<T> {
  let settled = false;
  const done = work.finally(() => (settled = true));
  while (!settled) {
    await new Promise((r) => setTimeout(r, 10));
    clock.advance(5);
  }
  return done;
}

describe('effect supervision', () => {
  it('retries a retryable failure with backoff and journals the one result', async () => {
    const clock = simulatedClock();
    const attempts: number[] = [];
    const flaky: EffectHandler = async ({ attempt }) => {
      attempts.push(clock.now());
      if (attempt < 3) throw testErrors.FLAKY(`attempt ${attempt}`);
      return reply;
    };
    const n = await p.node({
      nodeId: 's1',
      only: ['sv.a'],
      clock,
      retry: { maxAttempts: 5, baseDelayMs: 50, maxDelayMs: 1000 },
      extraEffects: new Map([['llm.call', flaky]]),
    });
    const { outcome, records } = await drive(clock, p.client.runTask('sv', 'a', 't1', { prompt: 'go' }));
    expect(outcome.type).toBe('task.completed');
    expect(attempts).toHaveLength(3);
    // Backoff: exponential with equal jitter, so between half and all of 50 ms, then of 100 ms
    // (plus at most one 5 ms step of the simulated clock).
    const gaps = [attempts[1]! - attempts[0]!, attempts[2]! - attempts[1]!];
    expect(gaps[0]).toBeGreaterThanOrEqual(25);
    expect(gaps[0]).toBeLessThanOrEqual(55);
    expect(gaps[1]).toBeGreaterThanOrEqual(50);
    expect(gaps[1]).toBeLessThanOrEqual(105);
    expect(records.filter((r) => r.record.cmd.type === 'effect.result')).toHaveLength(1);
    // Counted once however often it was retried; a success is no failure.
    expect(n.hosts.get('sv.a')!.kernel.stats).toMatchObject({ effectsStarted: 1, effectsFailed: 0 });
    await n.stop();
  });

  it('gives up after the retry limit and the agent fails with the reason journaled', async () => {
    const clock = simulatedClock();
    let calls = 0;
    const broken: EffectHandler = async () => {
      calls++;
      throw testErrors.FLAKY('still down');
    };
    const n = await p.node({
      nodeId: 's2',
      only: ['sv.b'],
      clock,
      retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50 },
      extraEffects: new Map([['llm.call', broken]]),
    });
    const { outcome, records } = await drive(clock, p.client.runTask('sv', 'b', 't2', { prompt: 'go' }));
    expect(calls).toBe(3);
    expect(outcome).toMatchObject({ type: 'task.failed', code: 'MOE_ERR_TEST_FLAKY' });
    expect(outcome.type === 'task.failed' && outcome.reason).toContain('still down');
    const last = records.at(-1)!.record;
    expect(last).toMatchObject({ state: 'failed', status: 'error' });
    expect(last.cmd).toMatchObject({
      type: 'effect.failed',
      data: { error: { code: 'MOE_ERR_TEST_FLAKY', attempts: 3 } },
    });
    expect(n.hosts.get('sv.b')!.kernel.stats).toMatchObject({ effectsStarted: 1, effectsFailed: 1 });
    await n.stop();
  });

  it('does not retry a terminal failure', async () => {
    let calls = 0;
    const fatal: EffectHandler = async () => {
      calls++;
      throw testErrors.FATAL('bad request');
    };
    const n = await p.node({
      nodeId: 's3',
      only: ['sv.c'],
      retry: { maxAttempts: 5, baseDelayMs: 10, maxDelayMs: 50 },
      extraEffects: new Map([['llm.call', fatal]]),
    });
    const { outcome } = await p.client.runTask('sv', 'c', 't3', { prompt: 'go' });
    expect(calls).toBe(1);
    expect(outcome).toMatchObject({ type: 'task.failed', code: 'MOE_ERR_TEST_FATAL' });
    expect(n.hosts.get('sv.c')!.kernel.stats).toMatchObject({ effectsStarted: 1, effectsFailed: 1 });
    // The node is still serving.
    const again = await p.client.request(
      { org: 'sv', ws: 'c', kind: 'org', id: 'o' },
      { id: 'c', type: 'org.create', data: { name: 'x' } },
    );
    expect(again.record.events[0]?.type).toBe('org.created');
    await n.stop();
  });
});
