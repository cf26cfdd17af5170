/**
 * No effect runs twice on a takeover: a result the previous holder published just before it went
 * away (still unapplied in the workspace's consumer) settles its effect before the new holder
 * re-drives what is pending (actors/kernel/redriveGate.ts), so the LLM is not asked again.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { effectCommandId, publishCommand } from '../../actors/kernel/index.js';
import { fakeReply, startFakeProviderServer, type FakeProviderServer } from '../fakes/providerWire.js';
import { eventually, startPlatform, tempDir, type Platform } from '../harness/index.js';

let p: Platform;
let fake: FakeProviderServer;
beforeAll(async () => {
  p = await startPlatform();
  // `slow` prompts stream their reply over several seconds
  fake = await startFakeProviderServer({
    respond: (_r, body) =>
      fakeReply({
        text: 'the answer',
        usage: { input: 10, output: 5 },
        chunkDelayMs: JSON.stringify(body.messages ?? '').includes('slow') ? 1500 : 0,
      }),
  });
});
afterAll(async () => {
  await p?.close();
  await fake?.close();
});

const ws = { org: 'rb', ws: 'w' };
const asked = (agent: string) =>
  fake.requests.filter((r) => JSON.stringify(r.body).includes(`agent ${agent}`));

describe('re-drives after the takeover backlog', () => {
  it('applies the result a previous holder published before re-driving, and does not call the LLM again', async () => {
    const dir = tempDir('moe-rb-');
    onTestFinished(() => dir.remove());
    const providers = { anthropic: { apiKey: 'test-a', baseURL: fake.anthropicBaseURL } };
    const first = await p.node({ nodeId: 'rb-a', dataDir: dir.path, providers });
    // a finished task: the shape of an LLM result
    const done = await p.client.runTask(
      ws.org,
      ws.ws,
      'fast',
      { prompt: 'agent fast' },
      { timeoutMs: 30_000 },
    );
    expect(done.outcome.type).toBe('task.completed');
    const value = (await p.records('moe.evt.rb.w.agent.fast')).find(
      (r) => r.record.cmd.type === 'effect.result',
    )!.record.cmd.data?.value;
    expect(value).toBeDefined();

    // a task whose LLM call is in flight when its node goes away
    const slow = { ...ws, kind: 'agent', id: 'slow' };
    await p.client.send(slow, { id: 'task-slow', type: 'task.submit', data: { prompt: 'agent slow' } });
    await eventually(() => (asked('slow').length > 0 ? true : undefined), { what: 'the slow call sent' });
    const effect = (await p.records('moe.evt.rb.w.agent.slow'))
      .flatMap((r) => r.record.effects)
      .find((e) => e.kind === 'llm.call')!;
    await first.stop();
    // what the holder did just before it went: the result is published, not yet applied
    await publishCommand(p.client.js, slow, {
      id: effectCommandId(slow, effect.id),
      type: 'effect.result',
      data: { effectId: effect.id, value },
    });
    const before = asked('slow').length;

    // the next holder (here on the same data dir, whose sessions.db lists the effect as pending)
    await p.node({ nodeId: 'rb-b', dataDir: dir.path, providers });
    const records = await eventually(
      async () => {
        const recs = await p.records('moe.evt.rb.w.agent.slow');
        return recs.some((r) => r.record.events.some((e) => e.type === 'task.completed')) ? recs : undefined;
      },
      { timeoutMs: 30_000, what: 'the slow task completed from the published result' },
    );
    await new Promise((r) => setTimeout(r, 2000)); // room for a re-driven call
    expect(asked('slow').length).toBe(before);
    expect(records.filter((r) => r.record.cmd.type.startsWith('effect.'))).toHaveLength(1);
  });
});
