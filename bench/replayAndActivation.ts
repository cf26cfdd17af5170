/**
 * Replay throughput (a session JSONL log through the machines on worker threads, as `moe replay`
 * does), activation cost (snapshot load + restore from sessions.db; and catch-up of journal
 * records), and heap per idle resident actor.
 */
import { join } from 'node:path';
import { defaultRegistry } from '../actors/index.js';
import {
  readJournal,
  MachineHost,
  ReplayPool,
  Replayer,
  SessionStore,
  openSqlite,
  replayParallel,
} from '../actors/kernel/index.js';
import { entryTurns, eventSubject, type ActorAddress, type AnyJournalEntry } from '../schemas/index.js';
import { workspaceDir } from '../workspace-node/index.js';
import { waitFor, type Bench } from './setup.js';
import { publishCommand } from '../actors/kernel/index.js';

/**
 * Replay throughput of the parallel replay `moe replay` runs: every round replays the whole file —
 * each worker reads it, keeps its actors' lines, replays them and posts its actors back — on a
 * pool started and warmed by one untimed replay beforehand (module loading and JIT warm-up are
 * start-up costs, not replay throughput). What a pool costs to start, and one cold replay that
 * pays all of it (what a single `moe replay` of this file costs), are reported beside it.
 */
export async function replayRate(
  jsonlPath: string,
  minSeconds = 1,
  workers?: number,
): Promise<{
  events_per_s: number;
  events: number;
  workers: number;
  pool_start_ms: number;
  cold_events_per_s: number;
}> {
  const cold0 = performance.now();
  const cold = await replayParallel(jsonlPath, { workers });
  const coldSeconds = (performance.now() - cold0) / 1000;
  const start0 = performance.now();
  const pool = new ReplayPool(workers);
  try {
    await pool.started();
    const poolStartMs = performance.now() - start0;
    // One untimed replay first: the workers' JIT compiles the machines and the parser on it (the
    // cold figure above is what a single replay with start-up and warm-up costs).
    await pool.replay(jsonlPath);
    let events = 0;
    const t0 = performance.now();
    do events += (await pool.replay(jsonlPath)).applied;
    while ((performance.now() - t0) / 1000 < minSeconds);
    return {
      events_per_s: Math.round(events / ((performance.now() - t0) / 1000)),
      events,
      workers: pool.size,
      pool_start_ms: Math.round(poolStartMs),
      cold_events_per_s: Math.round(cold.applied / coldSeconds),
    };
  } finally {
    await pool.close();
  }
}

export async function activation(
  b: Bench,
  org: string,
  ws: string,
  actors: number,
): Promise<{ snapshot_ms: number; catchup10_ms: number }> {
  const db = openSqlite(join(workspaceDir(b.dataDir, org, ws), 'db', 'sessions.db'));
  const store = new SessionStore(db);
  const host = new MachineHost(defaultRegistry().get('org')!.machine);
  const t0 = performance.now();
  for (let i = 0; i < actors; i++) {
    const row = store.load(`${org}.${ws}.org.o${i}`);
    if (!row) throw new Error(`no snapshot for o${i}`);
    host.restore(JSON.parse(row.snapshot));
  }
  const snapshotMs = (performance.now() - t0) / actors;

  // Catch-up: an actor whose snapshot is at least 10 turns behind the journal (as after a crash
  // between journal append and SQLite commit): restore that snapshot, read the entries holding
  // those turns (the shortest tail of whole entries with >= 10 turns), apply them.
  const samples = 20;
  let catchupMs = 0;
  for (let i = 0; i < samples; i++) {
    const a: ActorAddress = { org, ws, kind: 'org', id: `o${i}` };
    const all: Array<{ seq: number; entry: AnyJournalEntry }> = [];
    for await (const r of readJournal(b.js, eventSubject(a), 0)) all.push(r);
    let cut = all.length;
    for (let behindBy = 0; cut > 1 && behindBy < 10;) behindBy += entryTurns(all[--cut]!.entry).length;
    const behind = new Replayer(defaultRegistry());
    for (const r of all.slice(0, cut)) behind.apply(r.seq, r.entry);
    const persisted = JSON.stringify(behind.persisted(`${org}.${ws}.org.o${i}`));
    const t = performance.now();
    const replayer = new Replayer(defaultRegistry());
    const actor = {
      key: `${org}.${ws}.org.o${i}`,
      kind: 'org',
      snapshot: host.restore(JSON.parse(persisted)),
      turn: behind.applied,
      lastSeq: all[cut - 1]?.seq ?? 0,
      divergences: [],
    };
    replayer.actors.set(actor.key, actor);
    for await (const r of readJournal(b.js, eventSubject(a), actor.lastSeq)) replayer.apply(r.seq, r.entry);
    catchupMs += performance.now() - t;
    if (actor.divergences.length || actor.turn !== behind.applied + replayer.applied)
      throw new Error('catch-up did not reproduce the journal');
  }
  db.close();
  return {
    snapshot_ms: Number(snapshotMs.toFixed(4)),
    catchup10_ms: Number((catchupMs / samples).toFixed(2)),
  };
}

/** Heap growth per actor made resident (one turn each, then idle), measured after forced GC. */
export async function residentBytes(b: Bench, actors: number): Promise<number | null> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return null;
  const org = 'bench';
  const ws = 'm';
  const node = await b.node([`${org}.${ws}`]);
  // Make the workspace resident with one actor, so only per-actor cost remains.
  const first = { org, ws, kind: 'org', id: 'warm' };
  await publishCommand(b.js, first, { id: 'c', type: 'org.create', data: { name: 'x' } });
  const host = await node.waitForWorkspace(org, ws);
  await waitFor(() => host.kernel.stats.turns >= 1, 30_000, 'warm-up');
  await new Promise((r) => setTimeout(r, 200));
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < actors; i++) {
    const a = { org, ws, kind: 'org', id: `m${i}` };
    await publishCommand(b.js, a, { id: 'c', type: 'org.create', data: { name: `m${i}` } });
  }
  await waitFor(() => host.kernel.stats.turns >= actors + 1, 120_000, 'resident actors');
  await new Promise((r) => setTimeout(r, 500));
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  if (host.kernel.resident < actors) throw new Error('actors were passivated during the measurement');
  return Math.round((after - before) / actors);
}
