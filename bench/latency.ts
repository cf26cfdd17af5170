/**
 * Turn latency at moderate load: a client publishes commands at a fixed rate to many actors and
 * times each from just before `publish` to the arrival of the journal entry that applied it
 * (a core-NATS subscription on the event subjects sees entries as JetStream stores them).
 */
import { publishCommand } from '../actors/kernel/index.js';
import { decodeTurns } from '../schemas/index.js';
import { percentile, waitFor, type Bench } from './setup.js';

export async function latency(
  b: Bench,
  ratePerS: number,
  seconds: number,
): Promise<{ p50: number; p99: number; samples: number; rate: number }> {
  const org = 'bench';
  const ws = 'l';
  await b.node([`${org}.${ws}`]);
  const sent = new Map<string, number>();
  const took: number[] = [];
  const sub = b.nc.subscribe(`moe.evt.${org}.${ws}.>`, {
    callback: (_err, m) => {
      const now = performance.now();
      for (const r of decodeTurns(m.data)) {
        const t = sent.get(`${r.actor.id}/${r.cmd.id}`);
        if (t !== undefined) took.push(now - t);
      }
    },
  });
  // Warm-up: create the actors (first activation is measured by `activation`, not here).
  const actors = 50;
  for (let i = 0; i < actors; i++) {
    const a = { org, ws, kind: 'org', id: `l${i}` };
    sent.set(`${a.id}/create`, performance.now());
    await publishCommand(b.js, a, { id: 'create', type: 'org.create', data: { name: 'l' } });
  }
  await waitFor(() => took.length >= actors, 30_000, 'latency warm-up');
  took.length = 0;
  const total = Math.round(ratePerS * seconds);
  const interval = 1000 / ratePerS;
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const a = { org, ws, kind: 'org', id: `l${i % actors}` };
    const id = `w${i}`;
    sent.set(`${a.id}/${id}`, performance.now());
    void publishCommand(b.js, a, { id, type: 'workspace.add', data: { workspace: id } });
  }
  await waitFor(() => took.length >= total, 60_000, 'latency samples');
  sub.unsubscribe();
  const sorted = [...took].sort((x, y) => x - y);
  return {
    p50: Number(percentile(sorted, 50).toFixed(2)),
    p99: Number(percentile(sorted, 99).toFixed(2)),
    samples: sorted.length,
    rate: ratePerS,
  };
}
