/**
 * Runs the replay measurement in a fresh Node process, as `moe replay` runs: the bench process's
 * heap (20,000 resident actors, NATS buffers) would otherwise slow the machines down with GC work
 * that a replay never has. Usage: node replayProcess.js <session.jsonl> <min seconds>
 */
import { replayRate } from './replayAndActivation.js';

const [file, seconds] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: replayProcess <session.jsonl> [seconds]\n');
  process.exit(2);
}
process.stdout.write(`${JSON.stringify(replayRate(file, Number(seconds ?? 2)))}\n`);
