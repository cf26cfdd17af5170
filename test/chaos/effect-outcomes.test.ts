/**
 * A node that recorded an effect's outcome and died before publishing the result: the next node
 * re-drives the effect from the record, without running the tool or calling the LLM again, and
 * the result is journaled once. The crash is placed exactly with MOE_FAULT_KILL_AFTER_OUTCOME (the
 * node SIGKILLs itself right after the record is written); the nodes are real `moe node` processes.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceDir } from '../../workspace-node/index.js';
import { fakeReply, startFakeProviderServer, type FakeProviderServer } from '../fakes/providerWire.js';
import {
  type Platform,
  assertCleanJournal,
  eventually,
  exited,
  startPlatform,
  tempDir,
} from '../harness/index.js';

let p: Platform;
let fake: FakeProviderServer;
/** the LLM test's own data dir: its nodes never see the tool test's workspace files */
const data = tempDir('moe-fx-llm-');
beforeAll(async () => {
  p = await startPlatform();
  fake = await startFakeProviderServer();
});
afterAll(async () => {
  await fake?.close();
  await p?.close();
  data.remove();
});

type Records = Awaited<ReturnType<Platform['records']>>;

/** the results of tool runs (an LLM reply has no callId) */
const toolResultsOf = (recs: Records) =>
  recs.filter(
    (r) =>
      r.record.cmd.type === 'effect.result' &&
      typeof (r.record.cmd.data?.value as { callId?: unknown })?.callId === 'string',
  );

async function completedRecords(filter: string) {
  return eventually(
    async () => {
      const recs = await p.records(filter);
      return recs.some((r) => r.record.events.some((e) => e.type === 'task.completed')) ? recs : undefined;
    },
    { timeoutMs: 45_000, what: 'task.completed after the restart' },
  );
}

describe('an outcome recorded before the crash is not produced again', () => {
  it('a tool run recorded before a kill -9 is not run again by the next node, and its result is journaled once', async () => {
    const agent = { org: 'fx', ws: 'tool', kind: 'agent', id: 'grow' };
    const files = join(workspaceDir(p.dataDir, agent.org, agent.ws), 'files');
    mkdirSync(files, { recursive: true });
    writeFileSync(join(files, 'c.txt'), '0|');

    const first = p.spawnNode('node-a', p.dataDir, { MOE_FAULT_KILL_AFTER_OUTCOME: 'tool.run' });
    await p.client.send(agent, {
      id: 'task-grow',
      type: 'task.submit',
      data: {
        prompt: 'grow the file once',
        script: [
          {
            text: 'editing',
            toolCalls: [{ name: 'edit_file', input: { path: 'c.txt', old: '0|', new: '0||' } }],
          },
          { text: 'done' },
        ],
      },
    });
    await exited(first);
    expect(first.signalCode).toBe('SIGKILL'); // it died right after recording the tool's outcome
    expect(readFileSync(join(files, 'c.txt'), 'utf8')).toBe('0||');
    expect(toolResultsOf(await p.records('moe.evt.fx.tool.>'))).toEqual([]); // recorded, not published

    const second = p.spawnNode('node-b');
    try {
      await completedRecords('moe.evt.fx.tool.>');
      await new Promise((r) => setTimeout(r, 1000)); // room for a duplicate to show up
      const all = await p.records('moe.evt.fx.tool.>');
      expect(readFileSync(join(files, 'c.txt'), 'utf8')).toBe('0||'); // applied once, not `0|||`
      expect(assertCleanJournal(all, agent)).toBeNull();
      const toolResults = toolResultsOf(all);
      expect(toolResults).toHaveLength(1);
      expect((toolResults[0]!.record.cmd.data?.value as { output: string }).output).toBe(
        'replaced 1 occurrence in c.txt',
      );
    } finally {
      second.kill('SIGTERM');
      await exited(second);
    }
  });

  it('an LLM reply recorded before a kill -9 is not paid for again by the next node', async () => {
    const agent = { org: 'fx', ws: 'llm', kind: 'agent', id: 'ask' };
    const env = { ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: fake.anthropicBaseURL };
    fake.enqueue('anthropic', fakeReply({ text: 'the one paid answer', usage: { input: 10, output: 4 } }));
    const before = fake.requests.length;

    const first = p.spawnNode('node-c', data.path, { ...env, MOE_FAULT_KILL_AFTER_OUTCOME: 'llm.call' });
    await p.client.send(agent, { id: 'task-ask', type: 'task.submit', data: { prompt: 'answer once' } });
    await exited(first);
    expect(first.signalCode).toBe('SIGKILL');
    expect(fake.requests.length - before).toBe(1);

    const second = p.spawnNode('node-d', data.path, env);
    try {
      const recs = await completedRecords('moe.evt.fx.llm.>');
      await new Promise((r) => setTimeout(r, 1000));
      const all = await p.records('moe.evt.fx.llm.>');
      expect(fake.requests.length - before).toBe(1); // the re-drive reused the recorded reply
      expect(assertCleanJournal(all, agent)).toBeNull();
      const done = recs.flatMap((r) => r.record.events).find((e) => e.type === 'task.completed');
      expect(done?.result).toBe('the one paid answer');
      expect(all.filter((r) => r.record.cmd.type === 'effect.result')).toHaveLength(1);
    } finally {
      second.kill('SIGTERM');
      await exited(second);
    }
  });
});
