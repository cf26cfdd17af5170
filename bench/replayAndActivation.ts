/**
 * Replay throughput (a session JSONL log through the machines, as `moe replay` does), activation
 * cost (snapshot load + restore from sessions.db; and catch-up of journal records), and heap per
 * idle resident actor.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultRegistry } from '../actors/index.js';
import { Journal, MachineHost, Replayer, SessionStore, openSqlite } from '../actors/kernel/index.js';
import { eventSubject, type ActorAddress, type JournalRecord } from '../schemas/index.js';
import { workspaceDir } from '../workspace-node/index.js';
import { waitFor, type Bench } from './setup.js';
import { envelopeCodec } from '../actors/kernel/index.js';
import { commandMsgId, commandSubject } from '../schemas/index.js';

export function replayRate(jsonlPath: string, minSeconds = 1): { events_per_s: number; events: number } {
  const lines = readFileSync(jsonlPath, 'utf8').split('\n').filter(Boolean);
  const registry = defaultRegistry();
  let events = 0;
  const t0 = performance.now();
  do {
    const r = new Replayer(registry);
    for (const line of lines) r.applyLine(line);
    events += r.applied;
  } while ((performance.now() - t0) / 1000 < minSeconds);
  return { events_per_s: Math.round(events / ((performance.now() - t0) / 1000)), events };
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

  // Catch-up: an actor whose snapshot is 10 records behind the journal (as after a crash between
  // journal append and SQLite commit): restore that snapshot, read the 10 records, apply them.
  const journal = new Journal(b.js);
  const samples = 20;
  let catchupMs = 0;
  for (let i = 0; i < samples; i++) {
    const a: ActorAddress = { org, ws, kind: 'org', id: `o${i}` };
    const all: Array<{ seq: number; record: JournalRecord }> = [];
    for await (const r of journal.readAfter(eventSubject(a), 0)) all.push(r);
    const cut = Math.max(0, all.length - 10);
    const behind = new Replayer(defaultRegistry());
    for (const r of all.slice(0, cut)) behind.apply(r.seq, r.record);
    const persisted = JSON.stringify(behind.persisted(`${org}.${ws}.org.o${i}`));
    const t = performance.now();
    const replayer = new Replayer(defaultRegistry());
    const actor = {
      key: `${org}.${ws}.org.o${i}`,
      kind: 'org',
      snapshot: host.restore(JSON.parse(persisted)),
      turn: cut,
      lastSeq: all[cut - 1]?.seq ?? 0,
      divergences: [],
    };
    replayer.actors.set(actor.key, actor);
    for await (const r of journal.readAfter(eventSubject(a), actor.lastSeq)) replayer.apply(r.seq, r.record);
    catchupMs += performance.now() - t;
    if (actor.divergences.length || actor.turn !== all.length)
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
  await b.js.publish(
    commandSubject(first),
    envelopeCodec.encode({ id: 'c', type: 'org.create', data: { name: 'x' } }),
    { msgID: commandMsgId(first, 'c') },
  );
  const host = await node.waitForWorkspace(org, ws);
  await waitFor(() => host.kernel.stats.turns >= 1, 30_000, 'warm-up');
  await new Promise((r) => setTimeout(r, 200));
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < actors; i++) {
    const a = { org, ws, kind: 'org', id: `m${i}` };
    await b.js.publish(
      commandSubject(a),
      envelopeCodec.encode({ id: 'c', type: 'org.create', data: { name: `m${i}` } }),
      { msgID: commandMsgId(a, 'c') },
    );
  }
  await waitFor(() => host.kernel.stats.turns >= actors + 1, 120_000, 'resident actors');
  await new Promise((r) => setTimeout(r, 500));
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  if (host.kernel.resident < actors) throw new Error('actors were passivated during the measurement');
  return Math.round((after - before) / actors);
}
