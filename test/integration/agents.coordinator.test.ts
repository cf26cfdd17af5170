/**
 * Mixture-of-experts through the kernel on the offline scripted provider: a coordinator plans,
 * starts two expert agents in parallel (`actor.send` task.submit with a parent), waits for both
 * `subtask.completed` reports and aggregates; a failing expert fails the coordinator.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordWithSeq } from '../../client/index.js';
import { startPlatform, type Platform } from '../harness/index.js';
import { eventsOf, hasEvent, ofActor, waitForRecord } from './agents.kit.js';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
  // The experts are project profiles; with no API key configured they are served by `scripted`.
  const projectConfig = join(p.dataDir, 'project.json');
  writeFileSync(
    projectConfig,
    JSON.stringify({
      profiles: {
        researcher: {
          provider: 'anthropic',
          model: 'claude-haiku-4-5',
          system: 'You find facts.',
          tools: ['read_file', 'search'],
        },
        writer: {
          provider: 'openai',
          model: 'gpt-5-mini',
          system: 'You write.',
          fallbacks: [{ provider: 'anthropic', model: 'claude-haiku-4-5' }],
        },
      },
    }),
  );
  await p.node({ nodeId: 'n1', projectConfig, providers: {} });
});
afterAll(async () => p?.close());

const expertScript = (answer: string) => [{ text: `working on ${answer}`, delayMs: 300 }, { text: answer }];

function planText(subtasks: unknown[]) {
  return JSON.stringify({ subtasks });
}

async function runCoordinator(
  ws: string,
  id: string,
  data: Record<string, unknown>,
): Promise<RecordWithSeq[]> {
  const addr = { org: 'moe', ws, kind: 'coordinator', id };
  await p.client.send(addr, { id: `submit-${id}`, type: 'task.submit', data });
  const end = (r: RecordWithSeq) =>
    r.record.actor.kind === 'coordinator' && (hasEvent('task.completed')(r) || hasEvent('task.failed')(r));
  return waitForRecord(p, `moe.evt.moe.${ws}.>`, end, `coordinator ${id} outcome`);
}

describe('coordinator with expert agents', () => {
  it('runs two experts in parallel and aggregates their results', async () => {
    const plan = planText([
      { prompt: 'list the risks', profile: 'researcher', script: expertScript('risks: none') },
      { prompt: 'write the announcement', profile: 'writer', script: expertScript('announcement: hello') },
    ]);
    const records = await runCoordinator('w1', 'launch', {
      prompt: 'prepare the launch',
      profile: 'scripted',
      experts: ['researcher', 'writer'],
      script: [{ text: plan }, { text: 'Launch pack: risks none; announcement hello.' }],
    });
    const coord = ofActor(records, 'coordinator', 'launch');
    expect(coord.map((r) => r.record.state)).toContain('delegating');
    expect(eventsOf(coord, 'task.completed')).toEqual([
      expect.objectContaining({ result: 'Launch pack: risks none; announcement hello.', subtasks: 2 }),
    ]);

    const e1 = ofActor(records, 'agent', 'launch-e1');
    const e2 = ofActor(records, 'agent', 'launch-e2');
    expect(e1[0]?.record.cmd.data).toMatchObject({
      prompt: 'list the risks',
      parent: { kind: 'coordinator', id: 'launch', ref: 'e1' },
    });
    // both children started (their task.submit journaled) before either finished
    const started = Math.max(e1[0]!.seq, e2[0]!.seq);
    const firstDone = Math.min(...[...e1, ...e2].filter(hasEvent('task.completed')).map((r) => r.seq));
    expect(started).toBeLessThan(firstDone);
    // the coordinator heard from both before it aggregated (in the turn of the last report)
    const reports = coord.filter((r) => r.record.cmd.type === 'subtask.completed');
    expect(reports.map((r) => r.record.cmd.data?.ref).sort()).toEqual(['e1', 'e2']);
    const aggregation = coord.find(hasEvent('aggregation.started'));
    expect(aggregation!.seq).toBe(Math.max(...reports.map((r) => r.seq)));
    // everything happened in one session
    expect(new Set(records.map((r) => r.record.session)).size).toBe(1);
  });

  it('concatenates the experts answers when the scripted plan has no aggregation step', async () => {
    const plan = planText([
      { prompt: 'a', profile: 'researcher', script: [{ text: 'alpha' }] },
      { prompt: 'b', profile: 'writer', script: [{ text: 'beta' }] },
    ]);
    const records = await runCoordinator('w2', 'cat', {
      prompt: 'two parts',
      profile: 'scripted',
      experts: ['researcher', 'writer'],
      script: [{ text: plan }],
    });
    const done = eventsOf(ofActor(records, 'coordinator', 'cat'), 'task.completed')[0];
    expect(done?.result).toBe('## e1 (researcher)\nalpha\n\n## e2 (writer)\nbeta');
    expect(done).toMatchObject({ costMicros: 0, priceMicros: 0, provider: 'scripted' });
  });

  it('fails with the reason of a failing expert and cancels the other one', async () => {
    const plan = planText([
      { prompt: 'breaks', profile: 'researcher', script: [] },
      { prompt: 'slow', profile: 'writer', script: [{ text: 'too late', delayMs: 3000 }] },
    ]);
    const records = await runCoordinator('w3', 'bad', {
      prompt: 'p',
      profile: 'scripted',
      experts: ['researcher', 'writer'],
      script: [{ text: plan }],
    });
    const failed = eventsOf(ofActor(records, 'coordinator', 'bad'), 'task.failed')[0];
    expect(failed).toMatchObject({ code: 'MOE_ERR_SCRIPT_EXHAUSTED' });
    expect(String(failed?.reason)).toContain('subtask e1 failed');
    const slow = await waitForRecord(
      p,
      'moe.evt.moe.w3.agent.bad-e2',
      (r) => r.record.state === 'cancelled',
      'expert e2 cancelled',
    );
    expect(eventsOf(slow, 'task.failed')).toEqual([expect.objectContaining({ code: 'cancelled' })]);
  });
});
