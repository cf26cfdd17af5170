/**
 * A NATS outage met INSIDE an effect is an infrastructure fault, not the effect's failure. An
 * `llm.call` is in flight on its first provider target (the wire fake holds the reply) when the
 * nats-server is killed; the target then refuses (401), the router falls back to the next target,
 * and reserving its rate and budget in JetStream KV times out: the server is down. The kernel
 * retries the effect through the outage (workspace-node/effects/llmCall.ts `forKernel`,
 * actors/kernel/effects.ts `runWithRetry`) instead of ending it `effect.failed`, and once the
 * server is back on the same port and store the task completes, with exactly one priced call.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LlmReply } from '../../actors/index.js';
import {
  fakeError,
  fakeReply,
  startFakeProviderServer,
  type FakeProviderServer,
} from '../fakes/providerWire.js';
import { assertCleanJournal, eventually, startPlatform, type Platform } from '../harness/index.js';

let p: Platform;
let fake: FakeProviderServer;
beforeAll(async () => {
  p = await startPlatform();
  // the first target refuses every call but the held one at once: a re-run effect falls back again
  fake = await startFakeProviderServer({
    respond: (route) => (route === 'anthropic' ? fakeError(401, {}, 'invalid x-api-key') : undefined),
  });
});
afterAll(async () => {
  await p?.close();
  await fake?.close();
});

/** The node's warnings and errors, as parsed pino lines. */
function capturedLogs() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: 'warn' },
    { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  );
  return { logger, lines };
}

describe('a NATS outage inside an effect', () => {
  it(
    'an llm.call whose limits read times out while the server is down is retried, and its task completes with one priced call',
    { timeout: 180_000 },
    async () => {
      const logs = capturedLogs();
      await p.node({
        nodeId: 'n1',
        logger: logs.logger,
        providers: {
          anthropic: { apiKey: 'test-a', baseURL: fake.anthropicBaseURL },
          openai: { apiKey: 'test-o', baseURL: fake.openaiBaseURL },
        },
        profiles: {
          flaky: {
            name: 'flaky',
            provider: 'anthropic',
            model: 'claude-haiku-4-5',
            maxTokens: 256,
            fallbacks: [{ provider: 'openai', model: 'gpt-5-mini' }],
          },
        },
        routerRetry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 },
      });
      let release: () => void = () => undefined;
      const held = new Promise<void>((r) => (release = r));
      fake.enqueue('anthropic', { ...fakeError(401, {}, 'invalid x-api-key'), until: held });
      fake.enqueue('openai', fakeReply({ text: 'done after the outage', usage: { input: 100, output: 10 } }));

      const actor = { org: 'out', ws: 'w', kind: 'agent', id: 't1' };
      await p.client.send(actor, {
        id: 'task-t1',
        type: 'task.submit',
        data: { prompt: 'answer through an outage', profile: 'flaky' },
      });
      await eventually(() => (fake.requests.some((r) => r.route === 'anthropic') ? true : undefined), {
        timeoutMs: 30_000,
        what: 'the llm.call in flight on its first target',
      });

      // The server dies under the call; the held reply sends the router to its fallback, whose
      // rate and budget reservation in KV meets the outage (a request timeout).
      await p.ns.kill();
      release();
      await eventually(
        () =>
          logs.lines.some((l) => JSON.stringify(l).includes('MOE_ERR_LIMITS_UNAVAILABLE')) ? true : undefined,
        { timeoutMs: 60_000, intervalMs: 100, what: 'the effect meeting the outage in the limits KV' },
      );
      expect(fake.requests.filter((r) => r.route === 'openai')).toHaveLength(0);
      await p.ns.restart();

      const records = await eventually(
        async () => {
          const recs = await p.records('moe.evt.out.w.>');
          return recs.some((r) =>
            r.record.events.some((e) => e.type === 'task.completed' || e.type === 'task.failed'),
          )
            ? recs
            : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 250, what: 'the task ended' },
      );
      expect(logs.lines.filter((l) => l.msg === 'effect met a NATS outage: retrying').length).toBeGreaterThan(
        0,
      );
      const failures = records
        .filter((r) => r.record.cmd.type === 'effect.failed')
        .map((r) => r.record.cmd.data);
      expect(failures).toEqual([]);
      const events = records.flatMap((r) => r.record.events);
      expect(events.filter((e) => e.type === 'task.completed')).toHaveLength(1);
      expect(events.filter((e) => e.type === 'task.failed')).toHaveLength(0);
      expect(assertCleanJournal(records, actor)).toBeNull();

      // exactly one priced call: one request reached the fallback, one result carries its price
      expect(fake.requests.filter((r) => r.route === 'openai')).toHaveLength(1);
      const priced = records
        .filter((r) => r.record.cmd.type === 'effect.result')
        .map((r) => r.record.cmd.data?.value as LlmReply | undefined)
        .filter((v) => v?.costMicros !== undefined);
      expect(priced).toHaveLength(1);
      expect(priced[0]).toMatchObject({ provider: 'openai', model: 'gpt-5-mini' });
      expect(priced[0]!.costMicros).toBeGreaterThan(0);
    },
  );
});
