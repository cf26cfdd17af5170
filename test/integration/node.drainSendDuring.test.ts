/**
 * Tasks sent *while* their workspace is handed over (two in-process nodes sharing one NATS
 * connection): a task submitted just before the drain, and tasks sent during it, all complete on
 * the new host within seconds, not after `ack_wait` (30 s). Without the takeover's resume
 * (consumerResume.ts) the first command the old host held and nak'ed is stranded in its closed pull
 * and completes only after ack_wait (docs/operations.md, Placement). SD_DELAYS (comma-separated
 * ms) runs other timings.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
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

const delays = (process.env.SD_DELAYS ?? '0,60,300').split(',').map(Number);

describe('node drain, tasks sent during the hand-over', () => {
  it.each(delays)(
    'drain %i ms after a task was submitted',
    async (delay) => {
      const org = `sd${delay}`;
      const a = await p.node({ nodeId: `${org}-a`, dataDir: dirs(), logger: silent, leaseMs: 1500 });
      const warm = await p.client.runTask(org, 'w1', 't0', { prompt: 'warm up' }, { timeoutMs: 20_000 });
      expect(warm.outcome.type).toBe('task.completed');
      const b = await p.node({ nodeId: `${org}-b`, dataDir: dirs(), logger: silent, leaseMs: 1500 });
      try {
        await new Promise((r) => setTimeout(r, 500));
        const agent = { org, ws: 'w1', kind: 'agent', id: 't1' };
        const t0 = Date.now();
        const slow = p.client
          .runTask(
            org,
            'w1',
            't1',
            {
              prompt: 'slow step during the drain',
              script: [{ text: 'thinking', delayMs: 1500 }, { text: 'final' }],
            },
            { timeoutMs: 40_000 },
          )
          .then((r) => ({ id: 't1', ms: Date.now() - t0, type: r.outcome.type }));
        await new Promise((r) => setTimeout(r, delay));
        const drained = a.drain();
        const sent: Promise<{ id: string; ms: number; type: string }>[] = [slow];
        for (let i = 0; i < 6; i++) {
          const id = `d${i}`;
          const s = Date.now();
          sent.push(
            p.client
              .runTask(org, 'w1', id, { prompt: `sent during the drain ${i}` }, { timeoutMs: 40_000 })
              .then((r) => ({ id, ms: Date.now() - s, type: r.outcome.type })),
          );
          await new Promise((r) => setTimeout(r, 100));
        }
        await drained;
        const results = await Promise.allSettled(sent);
        console.log(
          `drain after ${delay} ms: ${results.map((r) => (r.status === 'fulfilled' ? `${r.value.id} ${r.value.ms} ms` : `FAILED ${String(r.reason)}`)).join(', ')}`,
        );
        for (const r of results)
          expect(r).toMatchObject({ status: 'fulfilled', value: { type: 'task.completed' } });
        // none waited for ack_wait (30 s)
        for (const r of results) if (r.status === 'fulfilled') expect(r.value.ms).toBeLessThan(25_000);
        await eventually(() => b.hosts.get(`${org}.w1`), { what: 'b hosts the workspace' });
        const records = await p.records(`moe.evt.${org}.w1.>`);
        for (const r of results)
          if (r.status === 'fulfilled')
            expect(assertCleanJournal(records, { ...agent, id: r.value.id })).toBeNull();
      } finally {
        await a.stop();
        await b.stop();
      }
    },
    90_000,
  );
});
