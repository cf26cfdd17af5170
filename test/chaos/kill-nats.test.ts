/**
 * nats-server killed (SIGKILL) and restarted mid-run: every command JetStream acknowledged to the
 * publisher is applied — once — after the server comes back. Nothing acknowledged is lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startPlatform, type Platform } from '../harness/index.js';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => p?.close());

describe('nats-server crash', () => {
  it(
    'loses no acknowledged command when the server is killed and restarted mid-run',
    { timeout: 180_000 },
    async () => {
      await p.node({ nodeId: 'n1', leaseMs: 3000 });
      const acked = new Set<string>();
      const send = async (i: number) => {
        const org = { org: 'nk', ws: 'w', kind: 'org', id: `o${i % 10}` };
        const id = `c-${i}`;
        const cmd =
          i < 10
            ? { id, type: 'org.create', data: { name: `o${i}` } }
            : { id, type: 'workspace.add', data: { workspace: `w${i}` } };
        try {
          await p.client.send(org, cmd);
          acked.add(id);
        } catch {
          /* not acknowledged: the publisher would retry; we only count acknowledged ones */
        }
      };
      for (let i = 0; i < 150; i++) await send(i);
      const killing = p.ns.kill();
      // Sent while the server is down or dying: most fail (publish timeout), some may be stored.
      await Promise.all(Array.from({ length: 50 }, (_, k) => send(150 + k)));
      await killing;
      await p.ns.restart();
      for (let i = 200; i < 300; i++) {
        for (let tries = 0; tries < 50 && !acked.has(`c-${i}`); tries++) {
          await send(i);
          if (!acked.has(`c-${i}`)) await new Promise((r) => setTimeout(r, 100));
        }
      }
      expect(acked.size).toBeGreaterThanOrEqual(250);
      const records = await eventually(
        async () => {
          const r = await p.records('moe.evt.nk.w.>');
          const applied = new Set(r.map((x) => x.record.cmd.id));
          return [...acked].every((id) => applied.has(id)) ? r : undefined;
        },
        { timeoutMs: 60_000, what: 'every acknowledged command applied' },
      );
      const ids = records.map((r) => r.record.cmd.id);
      expect(new Set(ids).size).toBe(ids.length);
    },
  );
});
