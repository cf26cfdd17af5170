/**
 * Chaos case of issue 8: a journal purge followed by a takeover and by `moe replay`. Node A runs a
 * workload, its backup actor makes a verified backup and purges MOE_EVT down to a tail of 2 covered
 * entries per actor; A runs more turns (newer than the backup) and stops. Node B, with its own EMPTY
 * data dir and the shared fs backup store, takes the workspace over: its actors equal A's (rows of
 * sessions.db), the actors purged and the ones newer than the backup take new turns, a new task
 * runs, and `moe replay` passes on B's logs (restored segments hold every purged entry). Then node C,
 * with an empty data dir and NO backup to restore, must refuse to build a purged actor
 * (MOE_ERR_JOURNAL_PURGED dead letter) instead of building it from the tail.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKUP_ACTOR_ID } from '../../actors/index.js';
import { replayFile } from '../../cli/commands/replay.js';
import type { RecordWithSeq } from '../../client/index.js';
import {
  codec,
  DeadLetter,
  STREAMS,
  type ActorAddress,
  type DeadLetter as DeadLetterT,
} from '../../schemas/index.js';
import { FsObjectStore } from '../../storage/index.js';
import { workspaceDir } from '../../workspace-node/index.js';
import { eventually, startPlatform, tempDirs, type Platform } from '../harness/index.js';

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

const ORG = 'jt';
const WS = 'w1';
const agent = (id: string): ActorAddress => ({ org: ORG, ws: WS, kind: 'agent', id });
const backupActor: ActorAddress = { org: ORG, ws: WS, kind: 'backup', id: BACKUP_ACTOR_ID };
const script = (path: string) => [
  { text: 'writing', toolCalls: [{ name: 'write_file', input: { path, content: `# ${path}` } }] },
  { text: 'written' },
];

interface ActorRowT {
  key: string;
  turn: number;
  last_seq: number;
  state: string;
  snapshot: string;
}
function actorRows(workspace: string): Map<string, ActorRowT> {
  const db = new Database(join(workspace, 'db', 'sessions.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT key, turn, last_seq, state, snapshot FROM actors').all() as ActorRowT[];
    return new Map(rows.map((r) => [r.key, r]));
  } finally {
    db.close();
  }
}

const letters = codec(DeadLetter, 'DeadLetter');
async function deadLetters(): Promise<DeadLetterT[]> {
  const info = await p.jsm.streams.info(STREAMS.deadLetters);
  const out: DeadLetterT[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await p.jsm.streams.getMessage(STREAMS.deadLetters, { seq }).catch(() => null);
    if (m) out.push(letters.decode(m.data));
  }
  return out;
}

/** A task.submit to a finished agent: a `command.rejected` turn that leaves its state as it was. */
const poke = (id: string, n: string) =>
  p.client.request(
    agent(id),
    {
      id: `poke-${id}-${n}`,
      type: 'task.submit',
      data: { prompt: 'again', profile: 'scripted', script: [] },
    },
    90_000,
  );

describe('journal purge, then takeover and moe replay', () => {
  it('a node with an empty data dir restores the backup over the purged journal; one without a backup refuses the purged actors', async () => {
    const store = new FsObjectStore(dir('moe-jt-store-'));
    const dataA = dir('moe-jt-a-');
    const journal = { purge: true, keep: 2 };
    const a = await p.node({ nodeId: 'a', dataDir: dataA, leaseMs: 1500, storage: store, journal });
    for (const id of ['t1', 't2']) {
      const r = await p.client.runTask(ORG, WS, id, {
        prompt: 'go',
        profile: 'scripted',
        script: script(`${id}.md`),
      });
      expect(r.outcome.type).toBe('task.completed');
    }
    const firstTurns = async (id: string) =>
      (await p.records(`moe.evt.${ORG}.${WS}.agent.${id}`))[0]!.record.turn;
    expect(await firstTurns('t1')).toBe(1);

    // A verified backup, and the purge it asks for.
    const isPurged = (r: RecordWithSeq) => r.record.events.some((e) => e.type === 'journal.purged');
    const waiting = p.client.follow(backupActor, isPurged, { timeoutMs: 90_000 });
    await p.client.send(backupActor, { id: 'b-1', type: 'backup.request', data: { reason: 'manual' } });
    const purged = (await waiting)
      .at(-1)!
      .record.events.find((e) => e.type === 'journal.purged') as unknown as {
      subjects: number;
      entries: number;
    };
    expect(purged.subjects).toBe(2);
    expect(purged.entries).toBeGreaterThan(0);
    expect(await firstTurns('t1')).toBeGreaterThan(1);

    // More turns after the backup (never purged), then A stops.
    const t3 = await p.client.runTask(ORG, WS, 't3', {
      prompt: 'go',
      profile: 'scripted',
      script: script('t3.md'),
    });
    expect(t3.outcome.type).toBe('task.completed');
    await a.stop();
    const rowsA = actorRows(workspaceDir(dataA, ORG, WS));

    // Node B: its own empty data dir, the shared store.
    const dataB = dir('moe-jt-b-');
    const b = await p.node({ nodeId: 'b', dataDir: dataB, leaseMs: 1500, storage: store, journal });
    await b.waitForWorkspace(ORG, WS);
    const dirB = workspaceDir(dataB, ORG, WS);
    const rowsB = actorRows(dirB);
    // the purged actors came back from the backup exactly as A had them
    for (const id of ['t1', 't2'])
      expect(rowsB.get(`${ORG}.${WS}.agent.${id}`)).toEqual(rowsA.get(`${ORG}.${WS}.agent.${id}`));
    // t3 is newer than the backup: B catches it up from MOE_EVT at its first turn there
    expect(rowsB.has(`${ORG}.${WS}.agent.t3`)).toBe(false);
    for (const id of ['t1', 't3']) {
      const turn = await poke(id, 'b');
      expect(turn.record.events.map((e) => e.type)).toEqual(['command.rejected']);
      const before = rowsA.get(`${ORG}.${WS}.agent.${id}`)!;
      expect(turn.record.turn).toBe(before.turn + 1);
      const after = actorRows(dirB).get(`${ORG}.${WS}.agent.${id}`)!;
      expect(after.snapshot).toBe(before.snapshot);
      expect(after.state).toBe(before.state);
    }
    // new turns work
    const t4 = await p.client.runTask(ORG, WS, 't4', {
      prompt: 'go',
      profile: 'scripted',
      script: script('t4.md'),
    });
    expect(t4.outcome.type).toBe('task.completed');
    await b.stop();
    // `moe replay` over B's logs (the backup's segments, then B's own turns) matches every snapshot
    const logs = readdirSync(join(dirB, 'sessions')).filter((l) => l.endsWith('.jsonl'));
    expect(logs.length).toBeGreaterThan(0);
    let replayed = 0;
    for (const l of logs) {
      const report = await replayFile(join(dirB, 'sessions', l));
      expect(report.ok, `${l}: ${JSON.stringify(report.actors.filter((x) => !x.match))}`).toBe(true);
      replayed += report.applied;
    }
    // the replay ran over the purged turns too: from turn 1 of every agent
    const turnsB = [...actorRows(dirB).values()].filter((r) => r.key.includes('.agent.'));
    expect(replayed).toBeGreaterThanOrEqual(turnsB.reduce((n, r) => n + r.turn, 0));

    // Node C: an empty data dir and no backup. A purged actor cannot be built: a coded dead letter.
    const c = await p.node({
      nodeId: 'c',
      dataDir: dir('moe-jt-c-'),
      leaseMs: 1500,
      storage: new FsObjectStore(dir('moe-jt-nostore-')),
      journal,
    });
    await c.waitForWorkspace(ORG, WS);
    await p.client.send(agent('t1'), {
      id: 'poke-t1-c',
      type: 'task.submit',
      data: { prompt: 'again', profile: 'scripted', script: [] },
    });
    const letter = await eventually(
      async () => (await deadLetters()).find((l) => l.payload.includes('poke-t1-c')),
      { timeoutMs: 60_000 },
    );
    expect(letter.code).toBe('MOE_ERR_JOURNAL_PURGED');
    expect(letter.subject).toBe(`moe.cmd.${ORG}.${WS}.agent.t1`);
    // ... and nothing was appended for it
    const last = (await p.records(`moe.evt.${ORG}.${WS}.agent.t1`)).at(-1)!;
    expect(last.record.cmd.id).toBe('poke-t1-b');
    await c.stop();
  }, 180_000);
});
