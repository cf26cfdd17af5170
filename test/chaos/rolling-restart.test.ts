/**
 * Rolling restart under load: three `moe node` child processes (separate data dirs), a supervisor,
 * and a steady stream of tasks over four workspaces. Each node in turn is drained — the first with
 * `moe node drain <id>` (the CLI, a child process) then SIGTERM, the others by SIGTERM alone (which
 * drains before exit) — and started again with the same id and data dir. Asserts: the drain CLI exits 0 each time, no client send fails, every
 * submitted task completes, and no actor's journal has a gap or a command applied twice.
 * Every step is bounded (a SIGTERM drain by MOE_DRAIN_DEADLINE_MS as in production); a step that
 * does not finish fails with its name, the steps so far and the nodes' last log lines.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSupervisor, type Supervisor } from '../../supervisor/index.js';
import {
  type Platform,
  MOE_BIN,
  assertCleanJournal,
  eventually,
  exited,
  silent,
  startPlatform,
  tempDir,
} from '../harness/index.js';

let p: Platform;
let sup: Supervisor;
const dirs: Array<{ remove(): void }> = [];
beforeAll(async () => {
  p = await startPlatform();
  sup = await startSupervisor({
    nc: p.nc,
    id: 'sup-rr',
    port: null,
    logger: silent,
    intervalMs: 250,
    // liveness here only tells the test a node is up; a busy 2-core box can delay a beat past 1 s
    staleMs: 5_000,
    rebalance: { enabled: true, intervalMs: 1000, maxMoves: 2, cooldownMs: 30_000, settleMs: 1000 },
  });
});
afterAll(async () => {
  await sup?.stop();
  await p?.close();
  for (const d of dirs) d.remove();
});

/** `p`, or a failure naming the step when it does not settle within `ms`. */
async function within<T>(what: string, p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not done in ${ms} ms`)), ms)),
  );
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

function drainCli(nodeId: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(
      process.execPath,
      [MOE_BIN, 'node', 'drain', nodeId, '--nats', p.ns.url, '--json', '--timeout', '60000'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    c.stdout.on('data', (b: Buffer) => (out += b.toString()));
    c.stderr.on('data', (b: Buffer) => (out += b.toString()));
    c.on('exit', (code) => resolve({ code, out }));
  });
}

describe('rolling restart', () => {
  it('drains and restarts every node under load: no client error, every task completes once', async () => {
    const ids = ['rr-a', 'rr-b', 'rr-c'];
    const dataDirs = new Map(
      ids.map((id) => {
        const d = tempDir();
        dirs.push(d);
        return [id, d.path];
      }),
    );
    // info logs: a step that does not finish shows what each node was doing (its last lines)
    const env = { MOE_LEASE_MS: '5000', MOE_DRAIN_DEADLINE_MS: '30000', MOE_LOG_LEVEL: 'info' };
    const steps: string[] = [];
    const t0 = Date.now();
    const step = (s: string) => steps.push(`${Date.now() - t0} ms ${s}`);
    const logs = new Map<string, string[]>();
    const startNode = (id: string) => {
      const c = p.spawnNode(id, dataDirs.get(id), env);
      const lines = logs.get(id) ?? [];
      logs.set(id, lines);
      c.stderr?.on('data', (b: Buffer) => lines.push(...b.toString().trim().split('\n')));
      step(`${id} started (pid ${c.pid})`);
      return c;
    };
    const children = new Map(ids.map((id) => [id, startNode(id)]));
    try {
      await rollAll();
    } catch (err) {
      const tails = [...logs].map(([id, l]) => `${id}:\n  ${l.slice(-25).join('\n  ')}`);
      throw new Error(`${(err as Error).message}\nsteps:\n  ${steps.join('\n  ')}\n${tails.join('\n')}`, {
        cause: err,
      });
    }
    async function rollAll() {
      /** live with a beat from after `since` (a restarted node's own, not its predecessor's last) */
      const live = async (id: string, since = 0) => {
        const s = await sup.status();
        return s.nodes.some((n) => n.id === id && n.live && n.at >= since && !n.draining) ? true : undefined;
      };
      for (const id of ids) await eventually(() => live(id), { timeoutMs: 60_000, what: `${id} live` });
      step('all live');

      const tasks: Array<{ ws: string; id: string }> = [];
      let errors = 0;
      let stop = false;
      const load = (async () => {
        for (let i = 0; !stop; i++) {
          const ws = `w${i % 4}`;
          const id = `t${i}`;
          try {
            await p.client.send(
              { org: 'rr', ws, kind: 'agent', id },
              { id: `task-${id}`, type: 'task.submit', data: { prompt: `task ${i}` } },
            );
            tasks.push({ ws, id });
          } catch {
            errors++;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      })();

      const drains: string[] = [];
      for (const id of ids) {
        await new Promise((r) => setTimeout(r, 2_000));
        const child = children.get(id)!;
        if (id === 'rr-a') {
          // the operator's way: drain, then stop
          const d = await within(`${id} drain CLI`, drainCli(id), 90_000);
          expect(d.code, d.out).toBe(0);
          drains.push(d.out.trim());
          step(`${id} drained by the CLI`);
          child.kill('SIGTERM');
          await within(`${id} exit after SIGTERM`, exited(child), 45_000);
        } else {
          // SIGTERM alone drains before the node exits
          const t0 = Date.now();
          child.kill('SIGTERM');
          await within(`${id} exit after SIGTERM`, exited(child), 45_000);
          expect(child.exitCode).toBe(0);
          drains.push(`${id} SIGTERM → exit in ${Date.now() - t0} ms`);
        }
        step(`${id} stopped`);
        const restartedAt = Date.now();
        children.set(id, startNode(id));
        await eventually(() => live(id, restartedAt), { timeoutMs: 60_000, what: `${id} live again` });
        step(`${id} live again`);
      }
      await new Promise((r) => setTimeout(r, 2_000));
      stop = true;
      await within('load loop end', load, 30_000);
      step(`load stopped: ${tasks.length} tasks`);
      expect(errors).toBe(0);
      expect(tasks.length).toBeGreaterThan(50);

      const done = await eventually(
        async () => {
          const recs = await p.records('moe.evt.rr.>');
          const completed = new Set(
            recs
              .filter((r) => r.record.events.some((e) => e.type === 'task.completed'))
              .map((r) => r.record.actor.id),
          );
          return tasks.every((t) => completed.has(t.id)) ? recs : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 1000, what: 'every task completed' },
      );
      step('every task completed');
      for (const t of tasks)
        expect(assertCleanJournal(done, { org: 'rr', ws: t.ws, kind: 'agent', id: t.id })).toBeNull();
      console.log(
        `rolling restart: ${tasks.length} tasks, ${errors} client errors, drains: ${drains.join(' | ')}, rebalance moves ${sup.rebalanceMoves}\n  ${steps.join('\n  ')}`,
      );
      for (const [id, c] of children) {
        c.kill('SIGTERM');
        await within(`final stop of ${id}`, exited(c), 45_000);
        step(`${id} stopped at the end`);
      }
    }
  }, 480_000);
});
