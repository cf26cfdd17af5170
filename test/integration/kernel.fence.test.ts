/**
 * Single writer per actor, enforced by the journal: two nodes that both believe they own a
 * workspace (placement bypassed) share its commands, and every append carries the expected last
 * subject sequence, so only one of them can extend an actor's history at a time. The loser catches
 * up from the journal and retries; no turn is lost or doubled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Journal } from '../../actors/kernel/index.js';
import type { JournalEntry } from '../../schemas/index.js';
import type { WorkspaceNode } from '../../workspace-node/index.js';
import { assertCleanJournal, eventually, startPlatform, tempDir, type Platform } from '../harness/index.js';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => p?.close());

describe('the journal fence', () => {
  it('rejects an append whose expected last subject sequence is stale', async () => {
    const journal = new Journal(p.client.js, p.client.nc);
    const actor = { org: 'f', ws: 'raw', kind: 'org', id: 'x' };
    const rec = (turn: number, id: string): JournalEntry => ({
      v: 2,
      actor,
      session: '_workspace',
      turns: [
        {
          turn,
          cmd: { id, type: 'org.create', at: 1 },
          state: 'active',
          status: 'active',
          events: [],
          effects: [],
          cancels: [],
        },
      ],
    });
    const a = await journal.append(actor, rec(1, 'a'), 0);
    expect(a.ok).toBe(true);
    // another command at the same place: turned back (by the message id, which names the place in
    // the history, before the server compares the expected sequence; journal.ts entryMsgId)
    const stale = await journal.append(actor, rec(1, 'b'), 0);
    expect(stale).toEqual({ ok: false, reason: 'duplicate', seq: a.ok ? a.seq : -1 });
    // and an append that expects a sequence the actor is not at is fenced
    const behind = await journal.append(actor, rec(2, 'c'), a.ok ? a.seq + 1000 : -1);
    expect(behind).toEqual({ ok: false, reason: 'fenced' });
    const retried = await journal.append(actor, rec(1, 'a'), 0);
    expect(retried.ok).toBe(false); // same record again: a duplicate, never a second append
    journal.close();
    const records = await p.records('moe.evt.f.raw.>');
    expect(records).toHaveLength(1);
  });

  it('two nodes owning one workspace apply every command exactly once, in one history per actor', async () => {
    const dirA = tempDir();
    const dirB = tempDir();
    let a: WorkspaceNode | undefined;
    let b: WorkspaceNode | undefined;
    try {
      a = await p.node({
        nodeId: 'a',
        dataDir: dirA.path,
        ignorePlacement: true,
        only: ['f.two'],
        pullBatch: 4,
      });
      b = await p.node({
        nodeId: 'b',
        dataDir: dirB.path,
        ignorePlacement: true,
        only: ['f.two'],
        pullBatch: 4,
      });
      const org = { org: 'f', ws: 'two', kind: 'org', id: 'shared' };
      await p.client.send(org, { id: 'create', type: 'org.create', data: { name: 'shared' } });
      const n = 120;
      await Promise.all(
        Array.from({ length: n }, (_, i) =>
          p.client.send(org, { id: `add-${i}`, type: 'workspace.add', data: { workspace: `w${i}` } }),
        ),
      );
      const records = await eventually(
        async () => {
          const r = await p.records('moe.evt.f.two.>');
          return r.length >= n + 1 ? r : undefined;
        },
        { timeoutMs: 60_000, what: `${n + 1} records` },
      );
      await new Promise((r) => setTimeout(r, 500));
      const final = await p.records('moe.evt.f.two.>');
      expect(final).toHaveLength(n + 1);
      expect(records.length).toBe(n + 1);
      expect(assertCleanJournal(final, org)).toBeNull();
      const ha = a.hosts.get('f.two')!.kernel.stats;
      const hb = b.hosts.get('f.two')!.kernel.stats;
      // Both nodes did work, and the fence turned at least one of them back.
      expect(ha.turns).toBeGreaterThan(0);
      expect(hb.turns).toBeGreaterThan(0);
      expect(ha.fenced + hb.fenced).toBeGreaterThan(0);
      const last = final.at(-1)!.record;
      expect(last.turn).toBe(n + 1);
    } finally {
      // Stop the nodes before deleting their data: a node whose directory vanishes under it is a
      // different test (its projection worker could not restart).
      await a?.stop();
      await b?.stop();
      dirA.remove();
      dirB.remove();
    }
  });
});
