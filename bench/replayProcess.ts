/**
 * Runs the replay measurement in a fresh Node process, as `moe replay` runs: the bench process's
 * heap (20,000 resident actors, NATS buffers) would otherwise slow the machines down with GC work
 * that a replay never has. Usage: node replayProcess.js <session.jsonl> [min seconds] [workers]
 * (workers: default os.availableParallelism()). Prints one JSON object.
 */
import { replayRate } from './replayAndActivation.js';

const [file, seconds, workers] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: replayProcess <session.jsonl> [seconds] [workers]\n');
  process.exit(2);
}
const result = await replayRate(file, Number(seconds ?? 2), workers ? Number(workers) : undefined);
process.stdout.write(`${JSON.stringify(result)}\n`);
