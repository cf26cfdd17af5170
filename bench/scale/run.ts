/**
 * `npm run bench:scale [-- subjects|consumers|kv|hosting|partition …] [-- --subjects 1000000]
 * [-- --consumers 5000] [-- --keys 20000] [-- --workspaces 100] [-- --partitions 8] [-- --json]`: the measurements docs/scale.md extrapolates
 * from, each against its own private nats-server on this machine (default: all five). Prints one
 * JSON object per measurement.
 */
import { consumersCost } from './consumers.js';
import { hostingCost } from './hosting.js';
import { kvCost } from './kv.js';
import { partitionCheck } from './partition.js';
import { subjectsCost } from './subjects.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const num = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : dflt;
};
const log = (s: string) => {
  if (!json) process.stderr.write(`${s}\n`);
};
const all = ['subjects', 'consumers', 'kv', 'hosting', 'partition'] as const;
const picked = all.filter((m) => args.includes(m));
const runs: Record<(typeof all)[number], () => Promise<Record<string, unknown>>> = {
  subjects: () => subjectsCost(num('subjects', 1_000_000), log),
  consumers: () => consumersCost(num('consumers', 5_000), log),
  kv: () => kvCost(num('keys', 20_000), log),
  hosting: () => hostingCost(num('workspaces', 100), log),
  partition: () => partitionCheck(num('partitions', 8), log),
};
for (const m of picked.length ? picked : all) {
  const result = await runs[m]();
  process.stdout.write(`${JSON.stringify({ measurement: m, at: new Date().toISOString(), ...result })}\n`);
}
