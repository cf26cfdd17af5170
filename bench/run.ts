/**
 * `npm run bench [-- --json] [-- --quick]`: measures the hot paths on this machine against a
 * private nats-server and prints a table (or one JSON object). Targets (2-core box):
 * ratio >= 0.5, replay >= 200,000 events/s, turn p99 <= 10 ms at moderate load.
 */
import { cpus } from 'node:os';
import { execFileSync } from 'node:child_process';
import { activation, residentBytes } from './replayAndActivation.js';
import { latency } from './latency.js';
import { startBench } from './setup.js';
import { throughput } from './throughput.js';

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const log = (s: string) => {
  if (!json) process.stderr.write(`${s}\n`);
};

async function main(): Promise<void> {
  const b = await startBench();
  try {
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
      context: {
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
      ];
      for (const [k, v, note] of rows) process.stdout.write(`${k.padEnd(26)} ${v.padStart(12)}   ${note}\n`);
    }
  } finally {
    await b.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
