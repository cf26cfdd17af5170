/**
 * `npm run bench:discovery [-- --json] [-- --workspaces 1000 --actors 100] [-- --trials 3]`: discovery
 * at node start with 100,000 actors over 1,000 workspaces, the earlier last-per-subject scan against
 * the workspace registry, in the same run (bench/discoveryStart.ts says what each figure is).
 */
import { discoveryStartBench } from './discoveryStart.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const num = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : dflt;
};
const log = (s: string) => {
  if (!json) process.stderr.write(`${s}\n`);
};
const result = await discoveryStartBench({
  workspaces: num('workspaces', 1_000),
  actors: num('actors', 100),
  trials: num('trials', 3),
  log,
});
const { context } = result;
if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  const rows: Array<[string, string, string]> = [
    [
      'legacy_scan_ms',
      String(result.legacy_scan_ms),
      `${context.legacy_messages_read} messages (one per actor subject)`,
    ],
    [
      'registry_cold_ms',
      String(result.registry_cold_ms),
      `${context.cold_messages_read} messages (first start: no mark)`,
    ],
    [
      'registry_warm_ms',
      String(result.registry_warm_ms),
      `${context.warm_registry_entries_read} registry entries + ${context.warm_commands_read} commands after the mark`,
    ],
    ['node_start_warm_ms', String(result.node_start_warm_ms), 'whole node start → discovery.ready'],
    ['speedup_warm_vs_legacy', `${result.speedup_warm_vs_legacy}×`, ''],
  ];
  for (const [k, v, note] of rows) process.stdout.write(`${k.padEnd(24)} ${v.padStart(10)}  ${note}\n`);
  process.stdout.write(`${JSON.stringify(result.context)}\n`);
}
