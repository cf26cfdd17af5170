/**
 * A node that comes back with an old data dir. Node A runs a task and backs the workspace up; it
 * stops. Node B (its own empty data dir, the shared store) takes over from that backup, runs more
 * turns, backs up again and purges the journal behind its backup. A starts again on its old data
 * dir: its snapshots of the agent are older than what the journal still holds (the entries in
 * between are purged), so serving them would fail every command with MOE_ERR_JOURNAL_PURGED. A
 * sees that the latest backup covers more of the journal than its own state, sets its directory
 * aside, restores B's backup, and serves the agent from where B left it.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKUP_ACTOR_ID } from '../../actors/index.js';
import { STREAMS, type ActorAddress } from '../../schemas/index.js';
import { FsObjectStore } from '../../storage/index.js';
import { workspaceDir } from '../../workspace-node/index.js';
import { startPlatform, tempDirs, type Platform } from '../harness/index.js';

let p: Platform;
const dirs = tempDirs();
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => {
  await p?.close();
  dirs.removeAll();
});

const ORG = 'sd';
const WS = 'w1';
const agent: ActorAddress = { org: ORG, ws: WS, kind: 'agent', id: 't1' };
const backupActor: ActorAddress = { org: ORG, ws: WS, kind: 'backup', id: BACKUP_ACTOR_ID };
const journal = { purge: true, keep: 2 };

/** A task.submit to the finished agent: a `command.rejected` turn. */
const poke = (n: string) =>
  p.client.request(
    agent,
    { id: `poke-${n}`, type: 'task.submit', data: { prompt: 'again', profile: 'scripted', script: [] } },
    30_000,
  );

/** Asks for a backup and waits for the purge it leads to. */
async function backUpAndPurge(id: string): Promise<void> {
  const afterSeq = (await p.jsm.streams.info(STREAMS.events)).state.last_seq;
  const purged = p.client.follow(
    backupActor,
    (r) => r.record.events.some((e) => e.type === 'journal.purged'),
    { afterSeq, timeoutMs: 60_000 },
  );
  await p.client.send(backupActor, { id, type: 'backup.request', data: { reason: 'manual' } });
  await purged;
}

describe('a node that comes back with an old data dir', () => {
  it('sets its stale state aside and restores the newer backup instead of failing on the purged journal', async () => {
    const storage = new FsObjectStore(dirs.make('moe-sd-store-'));
    const dataA = dirs.make('moe-sd-a-');
    const a = await p.node({ nodeId: 'a', dataDir: dataA, leaseMs: 1500, storage, journal });
    const task = await p.client.runTask(ORG, WS, 't1', {
      prompt: 'go',
      profile: 'scripted',
      script: [{ text: 'done' }],
    });
    expect(task.outcome.type).toBe('task.completed');
    const turnOnA = task.records.at(-1)!.record.turn;
    await backUpAndPurge('backup-a');
    await a.stop();

    const b = await p.node({
      nodeId: 'b',
      dataDir: dirs.make('moe-sd-b-'),
      leaseMs: 1500,
      storage,
      journal,
    });
    await b.waitForWorkspace(ORG, WS);
    let last = 0;
    for (const n of ['b1', 'b2', 'b3']) last = (await poke(n)).record.turn;
    await backUpAndPurge('backup-b');
    await b.stop();
    // the journal no longer holds the turn after A's snapshot of the agent
    const first = (await p.records(`moe.evt.${ORG}.${WS}.agent.t1`))[0]!.record.turn;
    expect(first).toBeGreaterThan(turnOnA + 1);

    const again = await p.node({ nodeId: 'a', dataDir: dataA, leaseMs: 1500, storage, journal });
    await again.waitForWorkspace(ORG, WS);
    const turn = await poke('a-again');
    expect(turn.record.events.map((e) => e.type)).toEqual(['command.rejected']);
    expect(turn.record.turn).toBe(last + 1);
    const dir = workspaceDir(dataA, ORG, WS);
    const aside = readdirSync(dirname(dir)).filter((d) => d.startsWith('.stale-') && d.endsWith(WS));
    expect(aside).toHaveLength(1);
    expect(existsSync(join(dirname(dir), aside[0]!, 'db', 'sessions.db'))).toBe(true);
    await again.stop();
  }, 120_000);
});
