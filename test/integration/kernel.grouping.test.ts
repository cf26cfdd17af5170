/**
 * Per-actor group commit: commands that wait in an actor's mailbox while its previous append is in
 * flight are applied one turn each and appended together as ONE journal entry. The history is the
 * same as one entry per turn would give: consecutive turns, each command once (a duplicate in the
 * backlog is skipped), and sessions.db, the JSONL log and a replay all agree.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AckPolicy } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../actors/index.js';
import { envelopeCodec, Replayer } from '../../actors/kernel/index.js';
import { commandMsgId, commandSubject, type ActorAddress } from '../../schemas/index.js';
import { workspaceDir } from '../../workspace-node/index.js';
import { assertCleanJournal, eventually, startPlatform, type Platform } from '../harness/index.js';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => p?.close());

const org = 'grp';
const ws = 'backlog';
const actor = (id: string): ActorAddress => ({ org, ws, kind: 'org', id });

async function publish(
  to: ActorAddress,
  id: string,
  type: string,
  data: Record<string, unknown>,
  msgID?: string,
) {
  await p.client.js.publish(commandSubject(to), envelopeCodec.encode({ id, type, data }), {
    msgID: msgID ?? commandMsgId(to, id),
  });
}

describe('per-actor group commit', () => {
  it('appends a backlog in multi-turn entries with the history one turn per entry would give', async () => {
    const a = actor('a');
    const b = actor('b');
    const expectedA: string[] = [];
    // The backlog is stored before any node runs, so it is delivered all at once.
    await publish(a, 'c0', 'org.create', { name: 'A' });
    expectedA.push('c0');
    for (let i = 1; i < 150; i++) {
      await publish(a, `c${i}`, 'workspace.add', { workspace: `w${i}` });
      expectedA.push(`c${i}`);
      if (i === 70) await publish(a, 'c10', 'workspace.add', { workspace: 'w10' }, 'again-c10'); // duplicate
    }
    await publish(a, 'again', 'org.create', { name: 'A2' }); // not accepted: a command.rejected turn
    expectedA.push('again');
    await publish(b, 'c0', 'org.create', { name: 'B' });
    for (let i = 1; i < 40; i++) await publish(b, `c${i}`, 'workspace.add', { workspace: `w${i}` });

    const node = await p.node({ nodeId: 'g1', only: [`${org}.${ws}`] });
    const host = await node.waitForWorkspace(org, ws);
    await eventually(() => (host.kernel.stats.turns >= expectedA.length + 40 ? true : undefined), {
      timeoutMs: 30_000,
    });

    const records = await p.records(`moe.evt.${org}.${ws}.>`);
    const ofA = records.filter((r) => r.record.actor.id === 'a');
    expect(ofA.map((r) => r.record.cmd.id)).toEqual(expectedA);
    expect(assertCleanJournal(records, a)).toBeNull();
    expect(assertCleanJournal(records, b)).toBeNull();
    expect(ofA.at(-1)!.record.events[0]!.type).toBe('command.rejected');
    expect(host.kernel.stats.duplicates).toBe(1);

    // Grouping happened: fewer entries (distinct MOE_EVT sequences) than turns, none over the cap.
    const perEntry = new Map<number, number>();
    for (const r of ofA) perEntry.set(r.seq, (perEntry.get(r.seq) ?? 0) + 1);
    expect(perEntry.size).toBeLessThan(ofA.length);
    expect(Math.max(...perEntry.values())).toBeGreaterThan(1);
    expect(Math.max(...perEntry.values())).toBeLessThanOrEqual(64);
    expect(host.kernel.stats.entries).toBeLessThan(host.kernel.stats.turns);

    // sessions.db: the final snapshot, every command id once, the last entry's sequence.
    const dir = workspaceDir(p.dataDir, org, ws);
    await node.stop();
    const db = new Database(join(dir, 'db', 'sessions.db'), { readonly: true });
    const row = db
      .prepare('SELECT turn, last_seq, snapshot FROM actors WHERE key = ?')
      .get('grp.backlog.org.a') as {
      turn: number;
      last_seq: number;
      snapshot: string;
    };
    const applied = db.prepare('SELECT cmd_id FROM applied WHERE key = ?').all('grp.backlog.org.a') as {
      cmd_id: string;
    }[];
    db.close();
    expect(row.turn).toBe(expectedA.length);
    expect(row.last_seq).toBe(ofA.at(-1)!.seq);
    expect(applied.map((x) => x.cmd_id).sort()).toEqual([...expectedA].sort());

    // The JSONL log holds one line per entry and replays to the stored snapshot.
    const lines = readFileSync(join(dir, 'sessions', '_workspace.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean);
    expect(lines.length).toBe(new Set(records.map((r) => r.seq)).size);
    const replayer = new Replayer(defaultRegistry());
    for (const line of lines) replayer.applyLine(line, true);
    expect(replayer.actors.get('grp.backlog.org.a')!.turn).toBe(expectedA.length);
    expect(replayer.actors.get('grp.backlog.org.a')!.divergences).toEqual([]);
    expect(replayer.persisted('grp.backlog.org.a')).toEqual(JSON.parse(row.snapshot));
  });

  it('raises the in-flight window of a workspace consumer made with a smaller one', async () => {
    await p.jsm.consumers.add('MOE_CMD', {
      durable_name: 'ws_grp_old',
      filter_subject: 'moe.cmd.grp.old.>',
      ack_policy: AckPolicy.Explicit,
      max_ack_pending: 100,
    });
    await publish({ org: 'grp', ws: 'old', kind: 'org', id: 'x' }, 'c0', 'org.create', { name: 'X' });
    const node = await p.node({ nodeId: 'g2', only: ['grp.old'] });
    await node.waitForWorkspace('grp', 'old');
    const info = await p.jsm.consumers.info('MOE_CMD', 'ws_grp_old');
    expect(info.config.max_ack_pending).toBe(16_384);
    await node.stop();
  });
});
