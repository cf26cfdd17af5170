/**
 * kill -9 of a `moe node` child process in the middle of a slow LLM stream on the real Anthropic
 * SDK (against the wire fake): a new node re-drives the interrupted call with the same effect id,
 * the journal holds exactly one result for it, and the task completes once with its exact cost.
 * Needs a fresh `dist/` (npx tsc -p tsconfig.build.json).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LlmReply } from '../../actors/index.js';
import { effectCommandId } from '../../actors/kernel/index.js';
import { fakeReply, startFakeProviderServer, type FakeProviderServer } from '../fakes/providerWire.js';
import { type Platform, assertCleanJournal, eventually, exited, startPlatform } from '../harness/index.js';
import { eventsOf, hasEvent, waitForRecord } from './agents.kit.js';

let p: Platform;
let fake: FakeProviderServer;
beforeAll(async () => {
  p = await startPlatform();
  fake = await startFakeProviderServer();
});
afterAll(async () => {
  await p?.close();
  await fake?.close();
});

describe('a node killed during a slow LLM stream', () => {
  it('re-drives the call with the same effect id after restart and journals exactly one result', async () => {
    const env = { ANTHROPIC_API_KEY: 'test-a', ANTHROPIC_BASE_URL: fake.anthropicBaseURL };
    const slow =
      'this answer streams very slowly word by word so that the node can die in the middle of it '.repeat(2);
    fake.enqueue(
      'anthropic',
      fakeReply({ text: slow, chunkDelayMs: 150, usage: { input: 100, output: 50 } }),
      fakeReply({ text: 'the answer, after the crash', usage: { input: 100, output: 10 } }),
    );
    const agent = { org: 'crash', ws: 'w1', kind: 'agent', id: 'slow' };
    const first = p.spawnNode('node-a', p.dataDir, env);
    await p.client.send(agent, { id: 'task-slow', type: 'task.submit', data: { prompt: 'answer slowly' } });
    await eventually(() => (fake.requests.length >= 1 ? true : undefined), {
      timeoutMs: 15_000,
      what: 'the first request',
    });
    await new Promise((r) => setTimeout(r, 400)); // mid-stream
    first.kill('SIGKILL');
    await exited(first);
    expect(fake.requests).toHaveLength(1);

    const second = p.spawnNode('node-b', p.dataDir, env);
    try {
      await waitForRecord(
        p,
        'moe.evt.crash.w1.>',
        hasEvent('task.completed'),
        'task.completed after restart',
        20_000,
      );
      await new Promise((r) => setTimeout(r, 500)); // room for a duplicate to show up
      const all = await p.records('moe.evt.crash.w1.>');
      expect(assertCleanJournal(all, agent)).toBeNull();
      const started = all.flatMap((r) => r.record.effects).filter((e) => e.kind === 'llm.call');
      expect(started.map((e) => e.id)).toEqual(['1.0']);
      const results = all.filter(
        (r) => r.record.cmd.type === 'effect.result' && r.record.cmd.data?.effectId === '1.0',
      );
      expect(results).toHaveLength(1);
      expect(results[0]?.record.cmd.id).toBe(effectCommandId(agent, '1.0'));
      // claude-sonnet-5-5 (the default profile) at $2 / $10 per MTok: 100·2 + 10·10 = 300 µ$, ×5
      expect(results[0]?.record.cmd.data?.value as LlmReply).toMatchObject({
        text: 'the answer, after the crash',
        costMicros: 300,
        priceMicros: 1500,
      });
      expect(eventsOf(all, 'task.completed')).toHaveLength(1);
      // the re-driven request is the same call: same model, same conversation
      expect(fake.requests).toHaveLength(2);
      expect(fake.requests[1]?.body.messages).toEqual(fake.requests[0]?.body.messages);
    } finally {
      second.kill('SIGTERM');
      await exited(second);
    }
  });
});
