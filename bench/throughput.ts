/**
 * Durable turns per second vs plain JetStream publish, same server, same run. Commands are stored
 * first; then a node starts and the clock runs until every turn is journaled, committed to SQLite,
 * written to the JSONL log (fsync'd) and acked. The baseline publishes messages of the journal
 * records' average size with the same number in flight as there are actors.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { envelopeCodec } from '../actors/kernel/index.js';
import { commandMsgId, commandSubject, type ActorAddress } from '../schemas/index.js';
import { workspaceDir, type WorkspaceNode } from '../workspace-node/index.js';
import { pipelined, waitFor, type Bench } from './setup.js';

export interface ThroughputResult {
  commands: number;
  actors: number;
  commands_per_s: number;
  raw_publish_per_s: number;
  ratio: number;
  record_bytes: number;
  node: WorkspaceNode;
  jsonl: string;
}

export async function throughput(b: Bench, actors: number, perActor: number): Promise<ThroughputResult> {
  const org = 'bench';
  const ws = 't';
  const addr = (i: number): ActorAddress => ({ org, ws, kind: 'org', id: `o${i}` });
  const total = actors * perActor;
  await pipelined(total, 512, async (n) => {
    const actor = n % actors;
    const k = Math.floor(n / actors);
    const cmd =
      k === 0
        ? { id: `c${k}`, type: 'org.create', data: { name: `org ${actor}` } }
        : { id: `c${k}`, type: 'workspace.add', data: { workspace: `w${k}` } };
    await b.js.publish(commandSubject(addr(actor)), envelopeCodec.encode(cmd), {
      msgID: commandMsgId(addr(actor), cmd.id),
    });
  });

  // The clock runs from the moment the workspace is hosted (node start-up is not a turn) until the
  // last turn is durable; turns that already ran during start-up are subtracted.
  const node = await b.node([`${org}.${ws}`]);
  const host = await node.waitForWorkspace(org, ws);
  const t0 = performance.now();
  const before = host.kernel.stats.turns;
  await waitFor(() => host.kernel.stats.turns >= total, 300_000, `${total} turns`);
  const seconds = (performance.now() - t0) / 1000;
  const measured = total - before;
  const jsonl = join(workspaceDir(b.dataDir, org, ws), 'sessions', '_workspace.jsonl');
  const recordBytes = Math.round(statSync(jsonl).size / total) - 20; // minus the {"seq":…,"rec":} wrapper

  // Baseline: the same number of messages of the same size, same concurrency, plain JetStream publish.
  await b.jsm.streams.add({ name: 'BENCH_RAW', subjects: ['bench.raw.>'] });
  const payload = new Uint8Array(recordBytes).fill(120);
  const r0 = performance.now();
  await pipelined(total, actors, (i) => b.js.publish(`bench.raw.${i % actors}`, payload));
  const rawSeconds = (performance.now() - r0) / 1000;

  const commandsPerS = measured / seconds;
  const rawPerS = total / rawSeconds;
  return {
    commands: total,
    actors,
    commands_per_s: Math.round(commandsPerS),
    raw_publish_per_s: Math.round(rawPerS),
    ratio: Number((commandsPerS / rawPerS).toFixed(3)),
    record_bytes: recordBytes,
    node,
    jsonl,
  };
}
