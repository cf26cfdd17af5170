/**
 * Graceful hand-over between two in-process nodes with separate data dirs: a drain hands every
 * workspace to the other node while a task's effects are running; the effect finishes on the
 * draining node (it runs once), the task completes on the other one, the journal has no gap or
 * repeat, workspace.db records the release, and a drained node takes no new workspace until
 * undrained. Also measures the hand-over of one workspace (printed: drain → lease released →
 * hosted elsewhere → first turn there).
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { workspaceDir } from '../../workspace-node/index.js';
import { nodeControlSubject, type NodeControlReply } from '../../schemas/index.js';
import {
  type Platform,
  assertCleanJournal,
  eventually,
  silent,
  startPlatform,
  tempDir,
} from '../harness/index.js';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => p?.close());

const dirs = () => {
  const d = tempDir();
  onTestFinished(() => d.remove());
  return d.path;
};

describe('node drain', () => {
  it('hands a busy workspace over: started effects finish here, the task completes there', async () => {
    const dirA = dirs();
    const a = await p.node({ nodeId: 'dr-a', dataDir: dirA, logger: silent, leaseMs: 1500 });
    const agent = { org: 'dr', ws: 'w1', kind: 'agent', id: 't1' };
    const warm = await p.client.runTask('dr', 'w1', 't0', { prompt: 'warm up' }, { timeoutMs: 20_000 });
    expect(warm.outcome.type).toBe('task.completed');
    const b = await p.node({
      nodeId: 'dr-b',
      dataDir: dirs(),
      logger: silent,
      leaseMs: 1500,
    });
    // b has discovered the workspace and waits for it
    await new Promise((r) => setTimeout(r, 500));
    expect(b.hosts.has('dr.w1')).toBe(false);

    const done = p.client.follow(agent, (r) => r.record.events.some((e) => e.type === 'task.completed'), {
      timeoutMs: 30_000,
    });
    await p.client.send(agent, {
      id: 'task-t1',
      type: 'task.submit',
      data: {
        prompt: 'slow step during the drain',
        script: [{ text: 'thinking', delayMs: 1500 }, { text: 'final' }],
      },
    });
    await eventually(() => (a.hosts.get('dr.w1')?.kernel.stats.effectsStarted ?? 0) > 0 || undefined, {
      what: 'the slow LLM call started on a',
    });
    const reply = (
      await p.nc.request(nodeControlSubject('dr-a', 'drain'), '{}', { timeout: 5000 })
    ).json<NodeControlReply>();
    expect(reply).toMatchObject({ node: 'dr-a', draining: true });
    await a.drain();
    // new work is served by b (tasks sent *during* the drain: node.drainSendDuring.test.ts)
    const later = p.client.runTask(
      'dr',
      'w1',
      't2',
      { prompt: 'sent after the drain' },
      { timeoutMs: 30_000 },
    );
    expect(a.hosts.size).toBe(0);
    expect(a.handOvers.map((h) => [h.workspace, h.quiet])).toEqual([['dr.w1', true]]);
    await eventually(() => b.hosts.get('dr.w1'), { what: 'b hosts the workspace' });
    await done;
    expect((await later).outcome.type).toBe('task.completed');

    const records = await p.records('moe.evt.dr.w1.>');
    expect(assertCleanJournal(records, agent)).toBeNull();
    expect(assertCleanJournal(records, { ...agent, id: 't2' })).toBeNull();
    // t1's effects ran on a (its outcomes were applied before the hand-over); t2's on b
    expect(b.hosts.get('dr.w1')!.kernel.stats.effectsStarted).toBeGreaterThan(0);
    // workspace.db on a records the release
    const db = new Database(join(workspaceDir(dirA, 'dr', 'w1'), 'db', 'workspace.db'), { readonly: true });
    const events = db.prepare('SELECT node, event FROM lease_history ORDER BY rowid').all();
    db.close();
    expect(events).toEqual([
      { node: 'dr-a', event: 'acquired' },
      { node: 'dr-a', event: 'released' },
    ]);

    // a drained node takes nothing new, until undrained
    await p.client.runTask('dr', 'w2', 'n1', { prompt: 'new workspace' }, { timeoutMs: 20_000 });
    expect(a.hosts.has('dr.w2')).toBe(false);
    a.undrain();
    expect(a.draining).toBe(false);
    await b.stop();
    await eventually(() => a.hosts.get('dr.w1'), { timeoutMs: 20_000, what: 'a takes w1 back' });
    await a.stop();
  });

  it('measures the hand-over of one idle workspace', async () => {
    const a = await p.node({ nodeId: 'hm-a', dataDir: dirs(), logger: silent, leaseMs: 5000 });
    const warm = await p.client.runTask('hm', 'w1', 'w0', { prompt: 'warm up' }, { timeoutMs: 20_000 });
    expect(warm.outcome.type).toBe('task.completed');
    const b = await p.node({ nodeId: 'hm-b', dataDir: dirs(), logger: silent, leaseMs: 1500 });
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    const task = p.client.runTask(
      'hm',
      'w1',
      'w1',
      { prompt: 'during the hand-over' },
      { timeoutMs: 30_000 },
    );
    const r = await a.handOver('hm.w1', 'hm-b');
    const released = Date.now() - t0;
    await eventually(() => b.hosts.get('hm.w1'), { timeoutMs: 30_000, what: 'b hosts it' });
    const hosted = Date.now() - t0;
    expect((await task).outcome.type).toBe('task.completed');
    const served = Date.now() - t0;
    expect(r).toMatchObject({ workspace: 'hm.w1', quiet: true, to: 'hm-b' });
    console.log(
      `hand-over of one workspace: lease released after ${r!.ms} ms (handOver resolved ${released} ms), hosted by the other node ${hosted} ms, task done ${served} ms`,
    );
    await a.stop();
    await b.stop();
  });
});
