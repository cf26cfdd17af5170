/**
 * `moe node`: a workspace-node process on its own (cluster deployments, chaos tests). SIGTERM or
 * SIGINT drains it (its workspaces go to other nodes, drain.ts) before it stops; a second signal
 * stops it without waiting for the drain.
 */
import { resolve } from 'node:path';
import { pino } from 'pino';
import { startWorkspaceNode } from '../../workspace-node/index.js';
import { processTracing } from '../tracing.js';

export async function nodeCommand(
  a: { natsUrl: string; dataDir: string; nodeId?: string },
  print: (s: string) => void,
): Promise<number> {
  const logger = pino({ level: process.env.MOE_LOG_LEVEL ?? 'info' });
  const tracing = await processTracing('moe-node', print);
  const node = await startWorkspaceNode({
    natsUrl: a.natsUrl,
    dataDir: resolve(a.dataDir),
    logger,
    ...(a.nodeId ? { nodeId: a.nodeId } : {}),
  });
  print(`workspace-node ${node.nodeId} on ${a.natsUrl}, data ${resolve(a.dataDir)} (Ctrl-C to stop)`);
  await new Promise<void>((done) => {
    let signals = 0;
    const onSignal = () => {
      signals++;
      const flushed = () => void (tracing?.shutdown() ?? Promise.resolve()).finally(done);
      if (signals === 1) void node.drain().finally(() => void node.stop().finally(flushed));
      else void node.stop().finally(flushed);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  return 0;
}
