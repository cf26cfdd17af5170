/**
 * Rebalance on join: one node hosts six workspaces; a second node joins; the supervisor leader
 * moves workspaces until each node holds three (max − min ≤ 1), with exactly the moves needed
 * (no ping-pong: the count stays put afterwards), and tasks keep completing in every workspace.
 * The planner's bound and cooldown are checked on their own too.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { planMoves, spread } from '../../supervisor/rebalance.js';
import { startSupervisor, type Supervisor } from '../../supervisor/index.js';
import { type Platform, eventually, silent, startPlatform, tempDir } from '../harness/index.js';

let p: Platform;
let sup: Supervisor;
beforeAll(async () => {
  p = await startPlatform();
  sup = await startSupervisor({
    nc: p.nc,
    id: 'sup-rb',
    port: null,
    logger: silent,
    intervalMs: 250,
    rebalance: { enabled: true, intervalMs: 500, maxMoves: 2, cooldownMs: 60_000, settleMs: 500 },
  });
});
afterAll(async () => {
  await sup?.stop();
  await p?.close();
});

const dir = () => {
  const d = tempDir();
  onTestFinished(() => d.remove());
  return d.path;
};

describe('planMoves', () => {
  it('moves from the fullest to the emptiest until max − min ≤ 1, skipping cooling workspaces', () => {
    const placed = new Map([
      ['a', ['w1', 'w2', 'w3', 'w4', 'w5']],
      ['b', []],
      ['c', ['w6']],
    ]);
    const moves = planMoves(placed, new Set(), 10);
    expect(moves).toHaveLength(3);
    const after = new Map(placed);
    for (const m of moves) {
      after.set(
        m.from,
        after.get(m.from)!.filter((w) => w !== m.workspace),
      );
      after.set(m.to, [...after.get(m.to)!, m.workspace]);
    }
    expect(spread(after)).toBeLessThanOrEqual(1);
    expect(planMoves(after, new Set(), 10)).toEqual([]);
    expect(planMoves(placed, new Set(['w1', 'w2', 'w3', 'w4', 'w5']), 10)).toEqual([]);
    expect(planMoves(placed, new Set(), 1)).toHaveLength(1);
    expect(
      planMoves(
        new Map([
          ['a', ['w1']],
          ['b', []],
        ]),
        new Set(),
        10,
      ),
    ).toEqual([]);
  });
});

describe('rebalance on join', () => {
  it('evens six workspaces out over two nodes in three moves, and tasks keep completing', async () => {
    const a = await p.node({ nodeId: 'rb-a', dataDir: dir(), logger: silent, leaseMs: 5000 });
    const wss = ['w1', 'w2', 'w3', 'w4', 'w5', 'w6'];
    for (const ws of wss) {
      const r = await p.client.runTask('rb', ws, `first-${ws}`, { prompt: 'hello' }, { timeoutMs: 20_000 });
      expect(r.outcome.type).toBe('task.completed');
    }
    expect(a.hosts.size).toBe(6);
    const b = await p.node({ nodeId: 'rb-b', dataDir: dir(), logger: silent, leaseMs: 5000 });
    const started = Date.now();
    await eventually(() => (a.hosts.size === 3 && b.hosts.size === 3 ? true : undefined), {
      timeoutMs: 30_000,
      what: 'three workspaces on each node',
    });
    const converged = Date.now() - started;
    expect(sup.rebalanceMoves).toBe(3);
    expect(b.handOvers).toEqual([]);
    // each hand-over is recorded once the old copy has closed too (it may take seconds on a busy box)
    await eventually(() => (a.handOvers.length === 3 ? true : undefined), {
      timeoutMs: 30_000,
      what: 'the three hand-overs closed on a',
    });
    expect(a.handOvers.map((h) => h.to)).toEqual(['rb-b', 'rb-b', 'rb-b']);
    console.log(
      `rebalance: converged in ${converged} ms, ${sup.rebalanceMoves} moves; hand-overs ${a.handOvers.map((h) => h.ms).join(', ')} ms`,
    );
    // no thrash: nothing moves any more
    await new Promise((r) => setTimeout(r, 2_000));
    expect(sup.rebalanceMoves).toBe(3);
    expect([a.hosts.size, b.hosts.size]).toEqual([3, 3]);
    // tasks keep working everywhere
    const results = await Promise.all(
      wss.map((ws) => p.client.runTask('rb', ws, `after-${ws}`, { prompt: 'again' }, { timeoutMs: 20_000 })),
    );
    expect(results.map((r) => r.outcome.type)).toEqual(wss.map(() => 'task.completed'));
    await b.stop();
    await a.stop();
  });
});
