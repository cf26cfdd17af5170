/**
 * `npm run bench [-- --json] [-- --quick] [-- --gateway]`: measures the hot paths on this machine against a
 * private nats-server and prints a table (or one JSON object). Targets (2-core box):
 * ratio >= 0.5, replay >= 200,000 events/s, turn p99 <= 10 ms at moderate load. Then backup and
 * restore of a generated workspace (10,000 kernel turns + ~200 MB of files) against `cp -r`
 * (bench/backup.ts), and the restore-to-serving time of a takeover against the same node with
 * the data already local (bench/rto.ts). First, the gateway's per-request cost: a REST task submit
 * against the same command over NATS (bench/gatewayOverhead.ts; `-- --gateway` runs only that, and
 * `-- --gateway-shared-loop` runs its clients in the gateway's thread instead of a worker).
 * Last, discovery at node start over 100 actors per workspace
 * (1,000 workspaces), the earlier scan against the workspace registry (bench/discoveryStart.ts).
 * Then the failover time after a kill -9 of the node hosting a workspace (bench/failover.ts);
 * `-- --only failover` runs that part alone.
 */
import { cpus } from 'node:os';
import { execFileSync } from 'node:child_process';
import { backupBench } from './backup.js';
import { gatewayOverhead, type GatewayOverhead } from './gatewayOverhead.js';
import { discoveryStartBench } from './discoveryStart.js';
import { failoverBench, failoverRows } from './failover.js';
import { kernelWorkspace } from './kernelWorkspace.js';
import { activation, residentBytes } from './replayAndActivation.js';
import { latency } from './latency.js';
import { rtoBench } from './rto.js';
import { startBench } from './setup.js';
import { throughput } from './throughput.js';

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
/** `--gateway`: only the gateway's per-request cost (gatewayOverhead.ts) */
const gatewayOnly = process.argv.includes('--gateway');
/** `--gateway-shared-loop`: its clients in the gateway's thread, not a worker (the figure before 2026-12-03 19:00 UTC) */
const sharedLoop = process.argv.includes('--gateway-shared-loop');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const log = (s: string) => {
  if (!json) process.stderr.write(`${s}\n`);
};

function gatewayRows(g: GatewayOverhead): Array<[string, string, string]> {
  return [
    [
      'gateway_overhead_ms',
      String(g.overhead_p50),
      `p50: REST task submit → 202 (${g.rest_p50} ms) minus the same task.submit over NATS → its accepting turn (${g.nats_p50} ms), ${g.samples} each, alternating, clients in ${g.clients === 'worker' ? 'a worker thread' : "the gateway's thread"}; target <= 2`,
    ],
    [
      'gateway_overhead_p99_ms',
      String(g.overhead_p99),
      `p99: REST ${g.rest_p99} ms minus NATS ${g.nats_p99} ms, same run`,
    ],
    [
      'gateway_overhead_js_ms',
      String(g.overhead_js_p50),
      `p50: REST minus the same task.submit over NATS with its turn from a JetStream consumer (stored, sequence known: ${g.nats_js_p50} ms, p99 ${g.nats_js_p99})`,
    ],
    [
      'gateway_cpu_us',
      String(g.cpu_overhead_us),
      `process CPU per submit (less the idle rate): REST ${g.cpu_rest_us} µs minus NATS ${g.cpu_nats_us} µs (gateway + HTTP client), one leg at a time`,
    ],
  ];
}

const printRows = (rows: Array<[string, string, string]>) => {
  for (const [k, v, note] of rows) process.stdout.write(`${k.padEnd(26)} ${v.padStart(12)}   ${note}\n`);
};

async function main(): Promise<void> {
  log('gateway overhead: REST task submit vs the same command over NATS…');
  const g = await gatewayOverhead(quick ? 100 : 300, { sharedLoop });
  if (gatewayOnly) {
    if (json)
      process.stdout.write(
        `${JSON.stringify({ gateway_overhead_ms: g.overhead_p50, gateway_overhead_p99_ms: g.overhead_p99, context: { gateway: g } })}\n`,
      );
    else printRows(gatewayRows(g));
    return;
  }
  const b = await startBench();
  try {
    if (only === 'failover') {
      log('failover after kill -9…');
      const f = await failoverBench(b.dataDir, quick ? 2 : 5);
      if (json) process.stdout.write(`${JSON.stringify(f)}\n`);
      else
        for (const [k, v, note] of failoverRows(f))
          process.stdout.write(`${k.padEnd(26)} ${v.padStart(12)}   ${note}\n`);
      return;
    }
    const actors = quick ? 200 : 500;
    const perActor = quick ? 15 : 40;
    const rounds = quick ? 1 : 5;
    log(`throughput: ${rounds} × ${actors * perActor} commands over ${actors} actors…`);
    const t = await throughput(b, actors, perActor, rounds);
    log(`latency: moderate load…`);
    const l = await latency(b, quick ? 200 : 500, quick ? 2 : 5);
    log('replay…');
    const r = JSON.parse(
      execFileSync(
        process.execPath,
        [new URL('./replayProcess.js', import.meta.url).pathname, t.jsonl, quick ? '0.5' : '2'],
        {
          encoding: 'utf8',
        },
      ),
    ) as { events_per_s: number; events: number; workers: number; cold_events_per_s: number };
    log('activation…');
    const a = await activation(b, 'bench', 't', actors);
    log('resident actor heap…');
    const mem = await residentBytes(b, quick ? 2000 : 10_000);
    const backupMb = quick ? 20 : 200;
    const backupTurns = quick ? 2_000 : 10_000;
    log(`a workspace of ${backupTurns} kernel turns…`);
    const kw = await kernelWorkspace(b, 'bench', 'bk', 250, backupTurns);
    log(`backup / restore of a ~${backupMb} MB workspace vs cp -r…`);
    const bk = await backupBench(kw.dir, kw.turns, backupMb, b.dataDir);
    log('restore-to-serving time on takeover (RTO) vs data already local…');
    const rto = await rtoBench(b, kw, backupMb, b.dataDir, quick ? 1 : 3);
    log('failover after kill -9 (supervisor + 2 nodes, separate data dirs)…');
    const fo = await failoverBench(b.dataDir, quick ? 2 : 5);
    const discoveryWorkspaces = quick ? 200 : 1_000;
    log(`discovery at node start: ${discoveryWorkspaces} workspaces × 100 actors, legacy scan vs registry…`);
    const disc = await discoveryStartBench({ workspaces: discoveryWorkspaces, actors: 100, trials: 1, log });
    const result = {
      commands_per_s: t.commands_per_s,
      raw_publish_per_s: t.raw_publish_per_s,
      ratio: t.ratio,
      turn_p50_ms: l.p50,
      turn_p99_ms: l.p99,
      replay_events_per_s: r.events_per_s,
      activation_ms: a.snapshot_ms,
      activation_catchup10_ms: a.catchup10_ms,
      resident_actor_bytes: mem,
      backup_mb_per_s: bk.backup_mb_per_s,
      backup_vs_cp_ratio: bk.backup_vs_cp_ratio,
      restore_mb_per_s: bk.restore_mb_per_s,
      restore_vs_cp_ratio: bk.restore_vs_cp_ratio,
      incremental_1pct_ms: bk.incremental_1pct_ms,
      rto_first_turn_ms: rto.rto_first_turn_ms,
      local_first_turn_ms: rto.local_first_turn_ms,
      rto_files_back_ms: rto.rto_files_back_ms,
      cp_r_ms: rto.cp_r_ms,
      gateway_overhead_ms: g.overhead_p50,
      gateway_overhead_p99_ms: g.overhead_p99,
      discovery_legacy_ms: disc.legacy_scan_ms,
      discovery_warm_ms: disc.registry_warm_ms,
      failover_ms: fo.failover_ms,
      failover_max_ms: fo.failover_max_ms,
      inflight_max_ms: fo.inflight_max_ms,
      tasks_pending_10s: fo.tasks_pending_10s,
      context: {
        gateway: g,
        commands: t.commands,
        actors: t.actors,
        throughput_rounds: t.rounds,
        raw_append_per_s: t.raw_append_per_s,
        throughput_spread: t.spread,
        turns_per_entry: t.turns_per_entry,
        record_bytes: t.record_bytes,
        latency_rate_per_s: l.rate,
        latency_samples: l.samples,
        replay_events: r.events,
        replay_workers: r.workers,
        replay_cold_events_per_s: r.cold_events_per_s,
        cpus: cpus().length,
        node: process.version,
        nats_server: 'private nats-server on 127.0.0.1 (file store, temp dir)',
        fsync: 'JSONL group-commit fdatasync before every ack',
        backup: { full_backup_ms: bk.full_backup_ms, ...bk.context },
        rto: rto.context,
        discovery: {
          ...disc.context,
          registry_cold_ms: disc.registry_cold_ms,
          node_start_warm_ms: disc.node_start_warm_ms,
        },
        failover: fo.context,
      },
    };
    if (json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } else {
      const rows: Array<[string, string, string]> = [
        [
          'commands_per_s',
          String(result.commands_per_s),
          `durable turns/s (journal + SQLite + JSONL fsync + ack), median of ${t.rounds}: ${t.spread.commands_per_s.join(', ')}`,
        ],
        [
          'raw_publish_per_s',
          String(result.raw_publish_per_s),
          `plain js.publish, ${t.record_bytes} B, same run, median of ${t.rounds}: ${t.spread.raw_publish_per_s.join(', ')}`,
        ],
        [
          'raw_append_per_s',
          String(t.raw_append_per_s),
          "for reference: the same baseline through the kernel's lean JetStreamAppender",
        ],
        [
          'ratio',
          String(result.ratio),
          `target >= 0.5; per round: ${t.spread.ratio.join(', ')}; ${t.turns_per_entry} turns per entry`,
        ],
        ['turn_p50_ms', String(result.turn_p50_ms), `publish → its turn seen on MOE_EVT, ${l.rate}/s`],
        ['turn_p99_ms', String(result.turn_p99_ms), 'target <= 10'],
        [
          'replay_events_per_s',
          String(result.replay_events_per_s),
          `JSONL through the machines, ${r.workers} worker threads, warm; target >= 200,000 (one cold \`moe replay\` of this log: ${r.cold_events_per_s}/s)`,
        ],
        ['activation_ms', String(result.activation_ms), 'snapshot load + restore'],
        [
          'activation_catchup10_ms',
          String(result.activation_catchup10_ms),
          'snapshot + catch-up of >= 10 turns (whole entries) from MOE_EVT',
        ],
        [
          'resident_actor_bytes',
          String(result.resident_actor_bytes ?? 'n/a (run with --expose-gc)'),
          'heap per idle resident actor',
        ],
        [
          'backup_mb_per_s',
          String(result.backup_mb_per_s),
          `full backup of a ${bk.context.workspace_mb} MB workspace (${bk.context.small_text_files} small text files, ${bk.context.binary_files} × ${bk.context.binary_file_mb} MB binaries, ${bk.context.turns} kernel turns: ${bk.context.log_mb} MB log, ${bk.context.db_mb} MB db) to an fs store, ${bk.full_backup_ms} ms`,
        ],
        [
          'backup_vs_cp_ratio',
          String(result.backup_vs_cp_ratio),
          `vs cp -r of the same workspace in this run: ${bk.context.cp_backup_mb_per_s} MB/s (cp does not fsync; the store fsyncs each object; cp -r + sync: ${bk.context.cp_then_sync_mb_per_s} MB/s)`,
        ],
        ['restore_mb_per_s', String(result.restore_mb_per_s), 'restore to a fresh dir, every sha256 checked'],
        [
          'restore_vs_cp_ratio',
          String(result.restore_vs_cp_ratio),
          `vs cp -r of a copy into a fresh dir: ${bk.context.cp_restore_mb_per_s} MB/s`,
        ],
        [
          'incremental_1pct_ms',
          String(result.incremental_1pct_ms),
          `backup after ${bk.context.incremental_changed_files} files (1%) changed: ${bk.context.incremental_uploaded_blobs} blobs uploaded (full: ${bk.full_backup_ms} ms)`,
        ],
        [
          'rto_first_turn_ms',
          String(result.rto_first_turn_ms),
          `takeover on an empty data dir: node start → first turn served (databases + logs restored: ${(rto.context.restored_db_and_log_bytes / 1e6).toFixed(1)} MB downloaded; catch-up from MOE_EVT), median of ${rto.context.rounds}: ${rto.context.spread.rto_first_turn_ms.join(', ')}; logged: databases back ${rto.context.logged_dbs_back_ms} ms after the lease`,
        ],
        [
          'local_first_turn_ms',
          String(result.local_first_turn_ms),
          `baseline, same run: the same node start → first turn with the workspace already on local disk: ${rto.context.spread.local_first_turn_ms.join(', ')}`,
        ],
        [
          'rto_files_back_ms',
          String(result.rto_files_back_ms),
          `takeover on an empty data dir: node start → all ${rto.context.files} files (${rto.context.workspace_mb} MB workspace) back, in the background: ${rto.context.spread.rto_files_back_ms.join(', ')}; logged: ${rto.context.logged_files_back_ms} ms after the lease`,
        ],
        [
          'cp_r_ms',
          String(result.cp_r_ms),
          `baseline, same run: cp -r of the same workspace directory: ${rto.context.spread.cp_r_ms.join(', ')}`,
        ],
        ...gatewayRows(g),
        [
          'discovery_legacy_ms',
          String(result.discovery_legacy_ms),
          `node-start discovery before issue 14: last message of each of ${disc.context.legacy_messages_read} actor subjects`,
        ],
        [
          'discovery_warm_ms',
          String(result.discovery_warm_ms),
          `with the registry: ${disc.context.warm_registry_entries_read} registry entries + ${disc.context.warm_commands_read} commands after the mark (npm run bench:discovery)`,
        ],
        ...failoverRows(fo),
      ];
      printRows(rows);
    }
  } finally {
    await b.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
