/**
 * kill -9 of a workspace-node during a slow effect: after a (new) node takes the workspace over,
 * the task completes with exactly one result, no duplicate turns in the journal, and one result per
 * effect. The node is a real `moe node` child process, killed by pid.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Platform, assertCleanJournal, eventually, exited, startPlatform } from '../harness/index.js';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => p?.close());

describe('workspace-node killed with SIGKILL', () => {
  it('re-drives the interrupted effect after restart and completes the task exactly once', async () => {
    const first = p.spawnNode('node-a');
    const agent = { org: 'chaos', ws: 'k1', kind: 'agent', id: 'slow' };
    await p.client.send(agent, {
      id: 'task-slow',
      type: 'task.submit',
      data: {
        prompt: 'survive a crash',
        script: [
          {
            text: 'writing',
            toolCalls: [{ name: 'write_file', input: { path: 'a.txt', content: 'before the crash' } }],
          },
          { text: 'slow final answer', delayMs: 4000 },
        ],
      },
    });
    // Wait until the slow LLM call (step 2) has started: the tool result turn is journaled.
    await eventually(
      async () => {
        const recs = await p.records('moe.evt.chaos.k1.>');
        return recs.some((r) => r.record.events.some((e) => e.type === 'tool.finished')) ? true : undefined;
      },
      { timeoutMs: 30_000, what: 'tool result journaled' },
    );
    first.kill('SIGKILL');
    await exited(first);
    expect(first.signalCode).toBe('SIGKILL');

    const second = p.spawnNode('node-b');
    const records = await eventually(
      async () => {
        const recs = await p.records('moe.evt.chaos.k1.>');
        return recs.some((r) => r.record.events.some((e) => e.type === 'task.completed')) ? recs : undefined;
      },
      { timeoutMs: 45_000, what: 'task.completed after restart' },
    );
    // Give a duplicate (if any) time to show up before asserting there is none.
    await new Promise((r) => setTimeout(r, 1500));
    const all = await p.records('moe.evt.chaos.k1.>');
    second.kill('SIGTERM');
    await exited(second);

    expect(records.length).toBeGreaterThan(0);
    expect(assertCleanJournal(all, agent)).toBeNull();
    expect(all.flatMap((r) => r.record.events).filter((e) => e.type === 'task.completed')).toHaveLength(1);
    const resultIds = all
      .filter((r) => r.record.cmd.type.startsWith('effect.'))
      .map((r) => String(r.record.cmd.data?.effectId));
    expect(new Set(resultIds).size).toBe(resultIds.length);
    const started = all.flatMap((r) => r.record.effects.map((e) => e.id));
    expect(resultIds.sort()).toEqual([...started].sort());
  });
});
