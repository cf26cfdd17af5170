/**
 * `moe node`: a workspace-node process on its own (cluster deployments, chaos tests). SIGTERM or
 * SIGINT drains it (its workspaces go to other nodes, drain.ts) before it stops; a second signal
 * stops it without waiting for the drain.
 */
import { resolve } from 'node:path';
import { pino } from 'pino';
import { startWorkspaceNode } from '../../workspace-node/index.js';

export async function nodeCommand(
  a: { natsUrl: string; dataDir: string; nodeId?: string; httpPort?: number | null; httpHost?: string },
  print: (s: string) => void,
): Promise<number> {
  const logger = pino({ level: process.env.MOE_LOG_LEVEL ?? 'info' });
  const node = await startWorkspaceNode({
    natsUrl: a.natsUrl,
    dataDir: resolve(a.dataDir),
    logger,
    ...(a.nodeId ? { nodeId: a.nodeId } : {}),
    ...(a.httpPort !== undefined ? { httpPort: a.httpPort } : {}),
    ...(a.httpHost !== undefined ? { httpHost: a.httpHost } : {}),
  });
  const probes = node.httpUrl ? `; probes and metrics on ${node.httpUrl}` : '';
  print(
    `workspace-node ${node.nodeId} on ${a.natsUrl}, data ${resolve(a.dataDir)}${probes} (Ctrl-C to stop)`,
  );
  await new Promise<void>((done) => {
    let signals = 0;
    const onSignal = () => {
      signals++;
      if (signals === 1) void node.drain().finally(() => void node.stop().finally(done));
      else void node.stop().finally(done);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  return 0;
}
