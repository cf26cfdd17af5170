/**
 * Worker-thread entry of the parallel replay (see parallelReplay.ts): for each job, replays its
 * shard of the log (replayShard.ts) and posts the result back.
 */
import { parentPort } from 'node:worker_threads';
import type { ReplayJob, WorkerMessage } from './replayProtocol.js';
import { replayShard } from './replayShard.js';

const port = parentPort;
if (!port) throw new Error('replayWorker.js runs in a worker thread (see parallelReplay.ts)');

port.on('message', (job: ReplayJob) => {
  const message: WorkerMessage = { type: 'done', result: replayShard(job) };
  port.postMessage(message);
});
port.postMessage({ type: 'ready' } satisfies WorkerMessage);
