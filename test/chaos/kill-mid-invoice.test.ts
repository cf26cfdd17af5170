/**
 * kill -9 mid-invoice (issue 12, chaos): a `moe node` process is SIGKILLed while its billing
 * actor's `invoice.issue` effect generates an invoice — placed with MOE_FAULT_KILL_DURING_INVOICE
 * (workspace-node/billing/invoiceFault.ts: the node kills itself once the usage is read, before
 * the invoice is returned, so before its outcome is recorded). The node started again on its data
 * dir re-drives the effect: exactly one `invoice.issued` for the period, identical to a clean run
 * (a second workspace with the same calls, issued without a crash) but for its id and workspace,
 * and issued at the time of the command that asked for it. Real nats-server, real node processes
 * killed and stopped by pid.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BILLING_ACTOR_ID, lastClosedPeriod } from '../../actors/index.js';
import { knownEvents, type Invoice } from '../../schemas/index.js';
import {
  type Platform,
  eventually,
  exited,
  startPlatform,
  tempDir,
  withNodeChildren,
} from '../harness/index.js';

let p: Platform;
const data = tempDir('moe-kill-invoice-data-');
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => {
  await p?.close();
  data.remove();
});

const ORG = 'ki';
const closed = lastClosedPeriod(Date.now(), 'month', 'UTC');
const billing = (ws: string) => ({ org: ORG, ws, kind: 'billing', id: BILLING_ACTOR_ID });
let n = 0;
const send = (ws: string, type: string, data: Record<string, unknown> = {}) =>
  p.client.send(billing(ws), { id: `k${++n}`, type, data, session: BILLING_ACTOR_ID });

async function turns(ws: string) {
  return (await p.records(`moe.evt.${ORG}.${ws}.billing.>`)).map((r) => r.record);
}
async function issued(ws: string): Promise<Invoice[]> {
  return (await turns(ws)).flatMap((r) =>
    knownEvents(r.events).flatMap((e) => (e.type === 'invoice.issued' ? [e.invoice] : [])),
  );
}

/** The same 3 000 calls in a workspace's metrics.db, dated inside last month. */
function writeCalls(ws: string): void {
  const db = new Database(join(data.path, 'workspaces', ORG, ws, 'db', 'metrics.db'));
  const insert = db.prepare(
    `INSERT INTO calls (seq, turn, actor, session, provider, model, input_tokens, output_tokens,
       cache_read_tokens, cache_write_tokens, at, effect_id, cost_micros, price_micros, markup)
     VALUES (?, 0, ?, 's', ?, ?, ?, ?, ?, ?, ?, 'e', ?, ?, 5)`,
  );
  const span = closed.end - closed.start;
  db.transaction(() => {
    for (let i = 0; i < 3000; i++) {
      const [provider, model] = i % 3 ? ['anthropic', 'claude-sonnet-4-5'] : ['openai', 'gpt-5-mini'];
      const cost = 100 + ((i * 7919) % 5000);
      insert.run(
        1_000_000 + i,
        `${ORG}.${ws}.agent.a${i % 4}`,
        provider,
        model,
        i,
        i * 2,
        i % 11,
        i % 5,
        closed.start + Math.floor((span * i) / 3000),
        cost,
        cost * 5,
      );
    }
  })();
  db.close();
}

const normalised = (inv: Invoice) => ({ ...inv, id: 'x', ws: 'x', issuedAt: 'x' });

describe('kill -9 mid-invoice', () => {
  it('re-drives the issue after a restart: one invoice, identical to a clean run', async () => {
    await withNodeChildren(p, async (nodes) => {
      const first = nodes.spawn('node-a', data.path, { MOE_FAULT_KILL_DURING_INVOICE: '1' }, 'SIGKILL');
      await send('w1', 'billing.start');
      await send('w2', 'billing.start');
      for (const ws of ['w1', 'w2'])
        await eventually(
          async () =>
            (await turns(ws)).length > 0 &&
            existsSync(join(data.path, 'workspaces', ORG, ws, 'db', 'metrics.db'))
              ? true
              : undefined,
          { timeoutMs: 60_000, what: `workspace ${ws} hosted` },
        );
      writeCalls('w1');
      writeCalls('w2');

      await send('w1', 'invoice.issue', { label: closed.label });
      await exited(first);
      expect(first.signalCode).toBe('SIGKILL');
      expect(existsSync(join(data.path, 'fault-kill-during-invoice.done'))).toBe(true);
      expect(await issued('w1')).toEqual([]);

      // restarted on the same data dir: the interrupted invoice.issue is re-driven
      nodes.spawn('node-b', data.path);
      await eventually(async () => ((await issued('w1')).length > 0 ? true : undefined), {
        timeoutMs: 60_000,
        what: 'invoice.issued after the restart',
      });
      // the clean run: the same calls in another workspace, no crash
      await send('w2', 'invoice.issue', { label: closed.label });
      await eventually(async () => ((await issued('w2')).length > 0 ? true : undefined), {
        timeoutMs: 60_000,
        what: 'the clean invoice',
      });
      // asked again: still one
      await send('w1', 'invoice.issue', { label: closed.label });
      await eventually(async () => {
        const recs = await turns('w1');
        return recs.filter((r) => r.cmd.type === 'invoice.issue').length === 2 ? true : undefined;
      });

      const crashed = await issued('w1');
      const clean = await issued('w2');
      expect(crashed).toHaveLength(1);
      expect(clean).toHaveLength(1);
      const inv = crashed[0]!;
      expect(inv.id).toBe(`inv-${ORG}.w1-${closed.label}`);
      expect(inv.lines.filter((l) => l.kind === 'usage')).toHaveLength(8); // 2 models × 4 agents
      expect(inv.totals.costMicros).toBeGreaterThan(0);
      expect(normalised(inv)).toEqual(normalised(clean[0]!));
      // issued at the time of the command that asked for it, not of the re-drive
      const asked = (await turns('w1')).find((r) => r.cmd.type === 'invoice.issue')!;
      expect(inv.issuedAt).toBe(new Date(asked.cmd.at).toISOString());
      const events = (await turns('w1')).flatMap((r) => knownEvents(r.events).map((e) => e.type));
      expect(events).not.toContain('invoice.failed');
    });
  }, 180_000);
});
