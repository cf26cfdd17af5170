/** `moe node`: a workspace-node process on its own (cluster deployments, chaos tests). */
import { resolve } from 'node:path';
import { pino } from 'pino';
import { startWorkspaceNode } from '../../workspace-node/index.js';

export async function nodeCommand(
  a: { natsUrl: string; dataDir: string; nodeId?: string },
  print: (s: string) => void,
): Promise<number> {
  const logger = pino({ level: process.env.MOE_LOG_LEVEL ?? 'info' });
  const node = await startWorkspaceNode({
    natsUrl: a.natsUrl,
    dataDir: resolve(a.dataDir),
    logger,
    ...(a.nodeId ? { nodeId: a.nodeId } : {}),
  });
  print(`workspace-node ${node.nodeId} on ${a.natsUrl}, data ${resolve(a.dataDir)} (Ctrl-C to stop)`);
  await new Promise<void>((done) => {
    const onSignal = () => void node.stop().finally(done);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  return 0;
}
