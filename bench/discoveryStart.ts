/**
 * Discovery at node start (`npm run bench:discovery`, bench/discovery.ts; one trial in
 * `npm run bench`): how long a starting workspace-node takes to know every workspace that has
 * commands (issue 14 item 6), before and after the workspace registry, in the same run against a
 * private nats-server.
 *
 * The state: `workspaces × actors` commands (default 1,000 × 100 = 100,000), one per actor subject,
 * published to MOE_CMD. Then, each timed from the call to "every workspace known":
 *   - `legacy_scan`: the discovery of earlier versions, reproduced here: an ordered, headers-only
 *     consumer on `moe.cmd.>` with `deliver_policy: last_per_subject`, read until nothing is
 *     pending (one message per actor subject);
 *   - `registry_cold`: discovery.ts on a stream with no mark and an empty registry (the first start
 *     after an upgrade): reads every command once, registers each workspace, writes the mark;
 *   - `registry_warm`: discovery.ts at a later start: the registry (one entry per workspace) and
 *     the commands after the mark (none);
 *   - `node_start_warm`: a whole workspace-node (`startWorkspaceNode`, hosting nothing) from the
 *     call to `discovery.ready`, which includes connecting, streams, KV and the bad-subject consumers.
 * Each figure is the median of `--trials` runs, alternating the paths. Also reported: messages
 * each path read, the publish rate, and nats-server's resident memory with the stream loaded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { pino } from 'pino';
import { systemClock } from '../actors/kernel/index.js';
import { startNatsServer } from '../devkit/index.js';
import { KV_BUCKETS, parseActorSubject, STREAMS } from '../schemas/index.js';
import {
  ensureStreams,
  startDiscovery,
  startWorkspaceNode,
  WorkspaceRegistry,
} from '../workspace-node/index.js';
import { rssMb } from './scale/kit.js';
import { pipelined } from './setup.js';

const silent = pino({ level: 'silent' });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number) => Math.round(x * 10) / 10;

/** The pre-registry discovery: last message of every command subject, headers only. */
async function legacyScan(js: JetStreamClient): Promise<{ ms: number; read: number; workspaces: number }> {
  const t0 = performance.now();
  const c = await js.consumers.get(STREAMS.commands, {
    filter_subjects: 'moe.cmd.>',
    deliver_policy: DeliverPolicy.LastPerSubject,
    headers_only: true,
  });
  const messages = await c.consume({ max_messages: 256 });
  const seen = new Set<string>();
  let read = 0;
  for await (const m of messages) {
    read++;
    const a = parseActorSubject(m.subject);
    if (a) seen.add(`${a.org}.${a.ws}`);
    if (m.info.pending === 0) break;
  }
  messages.stop();
  return { ms: performance.now() - t0, read, workspaces: seen.size };
}

export interface DiscoveryStartOptions {
  readonly workspaces: number;
  readonly actors: number;
  readonly trials: number;
  readonly log: (s: string) => void;
}

/** Measures discovery at node start, before and after the registry (see the module comment). */
export async function discoveryStartBench(o: DiscoveryStartOptions) {
  const { log } = o;
  const WORKSPACES = o.workspaces;
  const ACTORS = o.actors;
  const TRIALS = o.trials;
  const ns = await startNatsServer();
  const nc = await connect({ servers: ns.url, noAsyncTraces: true });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  await ensureStreams(nc, jsm);
  const kvm = new Kvm(nc);
  const registry = new WorkspaceRegistry(
    await kvm.open(KV_BUCKETS.workspaces),
    await kvm.open(KV_BUCKETS.discovery),
  );
  const dirs: string[] = [];
  try {
    const total = WORKSPACES * ACTORS;
    const rssEmpty = rssMb(ns.pid);
    log(`publishing ${total} commands (${WORKSPACES} workspaces × ${ACTORS} actors)…`);
    const body = new TextEncoder().encode(JSON.stringify({ id: 'c1', type: 'task.cancel' }));
    const tp = performance.now();
    await pipelined(total, 1_000, (i) =>
      js.publish(`moe.cmd.bench.w${i % WORKSPACES}.agent.a${Math.floor(i / WORKSPACES)}`, body),
    );
    const publishMs = performance.now() - tp;
    const info = await jsm.streams.info(STREAMS.commands);
    const rssLoaded = rssMb(ns.pid);

    const discoveryOnce = async () => {
      const seen = new Set<string>();
      const t0 = performance.now();
      const d = await startDiscovery({
        js,
        jsm,
        registry,
        nodeId: 'bench',
        clock: systemClock,
        log: silent,
        onWorkspace: (org, ws) => seen.add(`${org}.${ws}`),
        onBadSubject: () => Promise.resolve(),
      });
      await d.ready;
      const ms = performance.now() - t0;
      const s = d.stats();
      await d.stop();
      if (seen.size !== WORKSPACES) throw new Error(`bench: discovery found ${seen.size} workspaces`);
      return { ms, read: s.commandsRead, registryRead: s.registryRead };
    };
    const forget = async () => {
      await jsm.streams.purge(`KV_${KV_BUCKETS.workspaces}`);
      await jsm.streams.purge(`KV_${KV_BUCKETS.discovery}`);
    };
    const nodeStart = async () => {
      const dir = mkdtempSync(join(tmpdir(), 'moe-bench-discovery-'));
      dirs.push(dir);
      const t0 = performance.now();
      const n = await startWorkspaceNode({
        natsUrl: ns.url,
        dataDir: dir,
        only: ['none.none'],
        logger: silent,
      });
      await n.discovery.ready;
      const ms = performance.now() - t0;
      const s = n.discovery.stats();
      await n.stop();
      return { ms, read: s.commandsRead, registryRead: s.registryRead };
    };

    const legacy: number[] = [];
    const cold: number[] = [];
    const warm: number[] = [];
    const node: number[] = [];
    let legacyRead = 0;
    let coldRead = 0;
    let warmRead = { commands: 0, registry: 0 };
    let nodeRead = { commands: 0, registry: 0 };
    for (let t = 1; t <= TRIALS; t++) {
      log(`trial ${t}/${TRIALS}: legacy scan, registry cold, registry warm, node start…`);
      const l = await legacyScan(js);
      if (l.workspaces !== WORKSPACES) throw new Error(`bench: legacy scan found ${l.workspaces} workspaces`);
      legacy.push(l.ms);
      legacyRead = l.read;
      await forget();
      const c = await discoveryOnce();
      cold.push(c.ms);
      coldRead = c.read;
      const w = await discoveryOnce();
      warm.push(w.ms);
      warmRead = { commands: w.read, registry: w.registryRead };
      const n = await nodeStart();
      node.push(n.ms);
      nodeRead = { commands: n.read, registry: n.registryRead };
    }
    const result = {
      legacy_scan_ms: round(median(legacy)),
      registry_cold_ms: round(median(cold)),
      registry_warm_ms: round(median(warm)),
      node_start_warm_ms: round(median(node)),
      speedup_warm_vs_legacy: round(median(legacy) / median(warm)),
      context: {
        workspaces: WORKSPACES,
        actors_per_workspace: ACTORS,
        commands: total,
        command_subjects: info.state.num_subjects,
        trials: TRIALS,
        publish_per_s: Math.round(total / (publishMs / 1000)),
        legacy_messages_read: legacyRead,
        cold_messages_read: coldRead,
        warm_commands_read: warmRead.commands,
        warm_registry_entries_read: warmRead.registry,
        node_commands_read: nodeRead.commands,
        node_registry_entries_read: nodeRead.registry,
        runs_ms: {
          legacy: legacy.map(round),
          cold: cold.map(round),
          warm: warm.map(round),
          node: node.map(round),
        },
        cmd_stream_bytes: info.state.bytes,
        nats_rss_mb_empty: rssEmpty,
        nats_rss_mb_loaded: rssLoaded,
        nats_server: nc.info?.version,
      },
    };
    return result;
  } finally {
    await nc.close();
    await ns.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}
