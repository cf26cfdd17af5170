/**
 * The bounded journal (issue 8 item 7), against a real nats-server: the one purge
 * (purgeCoveredEntries) removes only entries at or below the covered sequence and keeps the newest
 * `keep` of those on that subject alone; and a workspace-node whose backup actor completes a
 * verified backup purges each actor subject the manifest lists down to MOE_JOURNAL_KEEP covered
 * entries, never anything newer than the manifest's sequence, never the backup actor's own subject,
 * and nothing at all with MOE_JOURNAL_PURGE off, with the node-local default store, or while the
 * mirror still lacks the backup.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKUP_ACTOR_ID } from '../../actors/index.js';
import { JournalReader, journalSubjectCounts, purgeCoveredEntries } from '../../actors/kernel/index.js';
import type { RecordWithSeq } from '../../client/index.js';
import { eventSubject, type ActorAddress } from '../../schemas/index.js';
import { FsObjectStore, MirroredStore } from '../../storage/index.js';
import { latestBackup, workspaceStore } from '../../workspace-node/backup/index.js';
import { startPlatform, tempDirs, type Platform } from '../harness/index.js';
import { CountingStore } from './backup.kit.js';

let p: Platform;
const dirs = tempDirs();
const dir = (prefix: string) => dirs.make(prefix);

beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => {
  await p?.close();
  dirs.removeAll();
});

/** The MOE_EVT sequences stored on one subject, oldest first. */
async function sequencesOf(subject: string): Promise<number[]> {
  const reader = new JournalReader(p.client.js, {
    filter: subject,
    start: { afterSeq: 0 },
    follow: false,
    headersOnly: true,
  });
  const out: number[] = [];
  for await (const seq of reader.sequences()) out.push(seq);
  return out;
}

/** What a purge of `seqs` up to `covered` keeping `keep` must leave. */
const expectedAfter = (seqs: number[], covered: number, keep: number) => {
  const old = seqs.filter((s) => s <= covered);
  return [...old.slice(Math.max(0, old.length - keep)), ...seqs.filter((s) => s > covered)];
};

const script = [
  { text: 'writing', toolCalls: [{ name: 'write_file', input: { path: 'a.md', content: 'a' } }] },
  { text: 'written' },
];

const backupActor = (org: string, ws: string): ActorAddress => ({
  org,
  ws,
  kind: 'backup',
  id: BACKUP_ACTOR_ID,
});

/** Asks the workspace's backup actor for a backup and resolves with its `journal.purged` event. */
async function backupAndPurge(org: string, ws: string, id: string): Promise<Record<string, unknown>> {
  const purged = (r: RecordWithSeq) => r.record.events.find((e) => e.type === 'journal.purged');
  const waiting = p.client.follow(backupActor(org, ws), (r) => purged(r) !== undefined, {
    timeoutMs: 90_000,
  });
  await p.client.send(backupActor(org, ws), { id, type: 'backup.request', data: { reason: 'manual' } });
  const records = await waiting;
  expect(records.flatMap((r) => r.record.events.map((e) => e.type))).toContain('backup.completed');
  return purged(records[records.length - 1]!) as unknown as Record<string, unknown>;
}

describe('journal purge', { timeout: 180_000 }, () => {
  it('removes only the covered entries older than the kept tail, on that subject alone', async () => {
    const js = p.client.js;
    const mine = 'moe.evt.jp.lib.agent.a1';
    const other = 'moe.evt.jp.lib.agent.a2';
    for (let i = 0; i < 12; i++) {
      await js.publish(mine, new TextEncoder().encode(`{"n":${i}}`));
      await js.publish(other, new TextEncoder().encode(`{"n":${i}}`));
    }
    const before = await sequencesOf(mine);
    const otherBefore = await sequencesOf(other);
    expect(before).toHaveLength(12);
    const covered = before[8]!; // entries 9..11 are newer than the "backup"

    const counts = await journalSubjectCounts(p.jsm, 'moe.evt.jp.lib.>');
    expect(Object.fromEntries(counts)).toEqual({ [mine]: 12, [other]: 12 });
    const r = await purgeCoveredEntries(js, p.jsm, mine, covered, 3);
    expect(await sequencesOf(mine)).toEqual(expectedAfter(before, covered, 3));
    expect(r).toEqual({ purged: 6, keptFrom: before[6] });
    expect(await sequencesOf(other)).toEqual(otherBefore);
    // again: nothing more to remove (a re-driven effect is harmless)
    expect((await purgeCoveredEntries(js, p.jsm, mine, covered, 3)).purged).toBe(0);
    expect(await sequencesOf(mine)).toEqual(expectedAfter(before, covered, 3));
  });

  it('after a verified backup the node keeps MOE_JOURNAL_KEEP covered entries per actor subject, all newer ones, and the backup actor whole', async () => {
    const keep = 2;
    const store = new FsObjectStore(dir('moe-purge-store-'));
    const node = await p.node({
      nodeId: 'jp1',
      dataDir: dir('moe-purge-data-'),
      storage: store,
      journal: { purge: true, keep },
      only: ['jp.w1'],
    });
    for (const id of ['t1', 't2']) {
      const r = await p.client.runTask('jp', 'w1', id, { prompt: 'go', profile: 'scripted', script });
      expect(r.outcome.type).toBe('task.completed');
    }
    const agents = ['t1', 't2'].map((id) => eventSubject({ org: 'jp', ws: 'w1', kind: 'agent', id }));
    const before = new Map<string, number[]>();
    for (const s of agents) before.set(s, await sequencesOf(s));
    for (const s of agents) expect(before.get(s)!.length).toBeGreaterThan(keep);
    const backupSubject = eventSubject(backupActor('jp', 'w1'));

    const purged = await backupAndPurge('jp', 'w1', 'b-1');
    const manifest = (await latestBackup(workspaceStore(store, 'jp', 'w1')))!;
    const covered = new Map(manifest.actors.map((a) => [`moe.evt.${a.key}`, a.lastSeq]));
    let removed = 0;
    for (const s of agents) {
      const seqs = before.get(s)!;
      expect(covered.get(s)).toBe(seqs.at(-1));
      const after = await sequencesOf(s);
      expect(after).toEqual(expectedAfter(seqs, covered.get(s)!, keep));
      removed += seqs.length - after.length;
    }
    expect(purged).toMatchObject({ backupId: manifest.backupId, keep, subjects: 2, entries: removed });
    // the backup actor's own subject: every turn since its first is still there
    const backupTurns = (await p.records(backupSubject)).map((r) => r.record.turn);
    expect(backupTurns[0]).toBe(1);
    expect(backupTurns).toEqual(backupTurns.map((_, i) => i + 1));
    await node.stop();
  });

  it('purges nothing with MOE_JOURNAL_PURGE off', async () => {
    const node = await p.node({
      nodeId: 'jp2',
      dataDir: dir('moe-purge-data2-'),
      storage: new FsObjectStore(dir('moe-purge-store2-')),
      journal: { purge: false, keep: 1 },
      only: ['jp.w2'],
    });
    const r = await p.client.runTask('jp', 'w2', 't1', { prompt: 'go', profile: 'scripted', script });
    expect(r.outcome.type).toBe('task.completed');
    const subject = eventSubject({ org: 'jp', ws: 'w2', kind: 'agent', id: 't1' });
    const before = await sequencesOf(subject);
    expect(before.length).toBeGreaterThan(1);
    const purged = await backupAndPurge('jp', 'w2', 'b-2');
    expect(purged).toMatchObject({ subjects: 0, entries: 0, skipped: 'off' });
    expect(await sequencesOf(subject)).toEqual(before);
    await node.stop();
  });

  it("purges nothing while the backups are on the node's own disk (MOE_STORAGE_PRIMARY unset)", async () => {
    expect(process.env.MOE_STORAGE_PRIMARY).toBeUndefined();
    // no `storage`: the node's default store, <data dir>/backups
    const node = await p.node({
      nodeId: 'jp4',
      dataDir: dir('moe-purge-data4-'),
      journal: { purge: true, keep: 1 },
      only: ['jp.w4'],
    });
    const r = await p.client.runTask('jp', 'w4', 't1', { prompt: 'go', profile: 'scripted', script });
    expect(r.outcome.type).toBe('task.completed');
    const subject = eventSubject({ org: 'jp', ws: 'w4', kind: 'agent', id: 't1' });
    const before = await sequencesOf(subject);
    expect(before.length).toBeGreaterThan(1);
    const purged = await backupAndPurge('jp', 'w4', 'b-4');
    expect(purged).toMatchObject({ subjects: 0, entries: 0, skipped: 'local-store' });
    expect(await sequencesOf(subject)).toEqual(before);
    await node.stop();
  });

  it('purges nothing while the mirror still lacks objects of the backup', async () => {
    const mirror = new CountingStore(new FsObjectStore(dir('moe-purge-mirror-')));
    mirror.failAfter(0); // the mirror is down: every put fails, the primary takes the backup
    const store = new MirroredStore({ primary: new FsObjectStore(dir('moe-purge-primary-')), mirror });
    const node = await p.node({
      nodeId: 'jp3',
      dataDir: dir('moe-purge-data3-'),
      storage: store,
      journal: { purge: true, keep: 1 },
      only: ['jp.w3'],
    });
    try {
      const r = await p.client.runTask('jp', 'w3', 't1', { prompt: 'go', profile: 'scripted', script });
      expect(r.outcome.type).toBe('task.completed');
      const subject = eventSubject({ org: 'jp', ws: 'w3', kind: 'agent', id: 't1' });
      const before = await sequencesOf(subject);
      expect(before.length).toBeGreaterThan(1);
      const purged = await backupAndPurge('jp', 'w3', 'b-3');
      expect(store.pending().length).toBeGreaterThan(0);
      expect(purged).toMatchObject({ subjects: 0, entries: 0, skipped: 'mirror-behind' });
      expect(await sequencesOf(subject)).toEqual(before);
    } finally {
      await node.stop();
      store.close();
    }
  });
});
