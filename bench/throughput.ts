/**
 * Durable turns per second vs plain JetStream publish, same server, same run. Commands are stored
 * first; then a node starts and the clock runs until every turn is journaled, committed to SQLite,
 * written to the JSONL log (fsync'd) and acked. The baseline (`js.publish` of @nats-io/jetstream)
 * publishes messages of a turn's average size with the same number in flight as there are actors.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { JetStreamAppender, publishCommand } from '../actors/kernel/index.js';
import type { ActorAddress } from '../schemas/index.js';
import { workspaceDir } from '../workspace-node/index.js';
import { pipelined, waitFor, type Bench } from './setup.js';

export interface ThroughputResult {
  commands: number;
  actors: number;
  rounds: number;
  commands_per_s: number;
  raw_publish_per_s: number;
  ratio: number;
  spread: {
    commands_per_s: number[];
    raw_publish_per_s: number[];
    ratio: number[];
    turns_per_entry: number[];
  };
  turns_per_entry: number;
  /** the baseline published with the kernel's JetStreamAppender instead of js.publish */
  raw_append_per_s: number;
  record_bytes: number;
  jsonl: string;
}

/**
 * A warm-up round (a quarter of the commands, not reported: the first turns run before the JIT has
 * compiled the turn loop, and the first publishes before it has compiled the client), then
 * `rounds` rounds on fresh workspaces (t, t2, t3, …); each round measures the raw baseline right
 * before and right after its durable run, and its ratio uses their mean. The reported figures are
 * the medians over rounds (a shared VM's noise moves single runs by ±30%); `spread` keeps them all.
 */
export async function throughput(
  b: Bench,
  actors: number,
  perActor: number,
  rounds = 3,
): Promise<ThroughputResult> {
  await round(b, 'warmup', actors, Math.max(1, Math.floor(perActor / 4)), 200);
  const results: RoundResult[] = [];
  for (let r = 0; r < rounds; r++) {
    const sizeHint = results.at(-1)?.recordBytes ?? 200;
    results.push(await round(b, r === 0 ? 't' : `t${r + 1}`, actors, perActor, sizeHint));
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const first = results[0]!;
  // For reference: the same baseline through the kernel's own lean publisher (JetStreamAppender).
  const lean = await rawRate(b, 'lean', first.commands, actors, first.recordBytes, true);
  return {
    commands: first.commands,
    actors,
    rounds,
    commands_per_s: Math.round(median(results.map((x) => x.commandsPerS))),
    raw_publish_per_s: Math.round(median(results.map((x) => x.rawPerS))),
    ratio: Number(median(results.map((x) => x.commandsPerS / x.rawPerS)).toFixed(3)),
    spread: {
      commands_per_s: results.map((x) => Math.round(x.commandsPerS)),
      raw_publish_per_s: results.map((x) => Math.round(x.rawPerS)),
      ratio: results.map((x) => Number((x.commandsPerS / x.rawPerS).toFixed(3))),
      turns_per_entry: results.map((x) => Number(x.turnsPerEntry.toFixed(1))),
    },
    turns_per_entry: Number(median(results.map((x) => x.turnsPerEntry)).toFixed(1)),
    raw_append_per_s: Math.round(lean),
    record_bytes: first.recordBytes,
    jsonl: first.jsonl,
  };
}

interface RoundResult {
  commands: number;
  commandsPerS: number;
  rawPerS: number;
  turnsPerEntry: number;
  recordBytes: number;
  jsonl: string;
}

async function round(
  b: Bench,
  ws: string,
  actors: number,
  perActor: number,
  sizeHint: number,
): Promise<RoundResult> {
  const org = 'bench';
  const addr = (i: number): ActorAddress => ({ org, ws, kind: 'org', id: `o${i}` });
  const total = actors * perActor;
  await pipelined(total, 512, async (n) => {
    const actor = n % actors;
    const k = Math.floor(n / actors);
    const cmd =
      k === 0
        ? { id: `c${k}`, type: 'org.create', data: { name: `org ${actor}` } }
        : { id: `c${k}`, type: 'workspace.add', data: { workspace: `w${k}` } };
    await publishCommand(b.js, addr(actor), cmd);
  });
  const jsonl = join(workspaceDir(b.dataDir, org, ws), 'sessions', '_workspace.jsonl');
  // The baseline publishes messages of a turn's size in the session log (the JSONL line minus its
  // {"seq":…,"rec":} wrapper, spread over the entry's turns): the conservative choice, since an
  // entry message is larger and a larger message publishes at a lower rate. Before the run that
  // size is not known yet: the previous round's is used (200 B in the first round).
  const before = await rawRate(b, `${ws}a`, total, actors, sizeHint);

  // The clock runs from the moment the workspace is hosted (node start-up is not a turn) until the
  // last turn is durable; turns that already ran during start-up are subtracted.
  const node = await b.node([`${org}.${ws}`]);
  const host = await node.waitForWorkspace(org, ws);
  const t0 = performance.now();
  const already = host.kernel.stats.turns;
  await waitFor(() => host.kernel.stats.turns >= total, 300_000, `${total} turns`);
  const seconds = (performance.now() - t0) / 1000;
  const entries = host.kernel.stats.entries;
  // Stopped before the baseline runs again: this process hosts the node, and its leftover work
  // (projection worker, timers, a heap of resident actors) must not slow the baseline down.
  await node.stop();
  const recordBytes = Math.round((statSync(jsonl).size - 20 * entries) / total);
  const after = await rawRate(b, `${ws}b`, total, actors, recordBytes);
  return {
    commands: total,
    commandsPerS: (total - already) / seconds,
    rawPerS: (before + after) / 2,
    turnsPerEntry: total / entries,
    recordBytes,
    jsonl,
  };
}

/**
 * Plain JetStream publishes per second: `count` messages of `bytes`, `window` in flight, with
 * `js.publish` of @nats-io/jetstream (or, `lean`, with the kernel's JetStreamAppender).
 */
async function rawRate(
  b: Bench,
  tag: string,
  count: number,
  window: number,
  bytes: number,
  lean = false,
): Promise<number> {
  const name = `BENCH_RAW_${tag.toUpperCase()}`;
  await b.jsm.streams.add({ name, subjects: [`bench.raw.${tag}.>`] });
  const payload = new Uint8Array(bytes).fill(120);
  const appender = lean ? new JetStreamAppender(b.nc) : null;
  const publish = (subject: string) =>
    appender ? appender.publish(subject, payload) : b.js.publish(subject, payload);
  const t0 = performance.now();
  await pipelined(count, window, (i) => publish(`bench.raw.${tag}.${i % window}`));
  const rate = count / ((performance.now() - t0) / 1000);
  appender?.close();
  await b.jsm.streams.delete(name);
  return rate;
}
