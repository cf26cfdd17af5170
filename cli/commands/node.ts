/**
 * `moe node`: a workspace-node process on its own (cluster deployments, chaos tests). SIGTERM or
 * SIGINT drains it (its workspaces go to other nodes, drain.ts) before it stops; a second signal
 * stops it without waiting for the drain. The drain is bounded by `MOE_DRAIN_DEADLINE_MS`: a
 * hand-over that cannot finish never keeps the process alive (what is left is closed by stop, and
 * its lease lapses as after a crash). With `MOE_STOP_WITH_PID` it also stops, without a drain, when
 * that process is gone (stopWithPid.ts).
 */
import { resolve } from 'node:path';
import { pino } from 'pino';
import { drainConfigFromEnv, processAlive, startWorkspaceNode } from '../../workspace-node/index.js';
import { stopWithPidFrom, watchPid } from '../stopWithPid.js';
import { processTracing } from '../tracing.js';

export async function nodeCommand(
  a: { natsUrl: string; dataDir: string; nodeId?: string; httpPort?: number | null; httpHost?: string },
  print: (s: string) => void,
): Promise<number> {
  const logger = pino({ level: process.env.MOE_LOG_LEVEL ?? 'info' });
  const { deadlineMs } = drainConfigFromEnv(process.env);
  const stopWithPid = stopWithPidFrom(process.env);
  const tracing = await processTracing('moe-node', print);
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
    const boundedDrain = async () => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), deadlineMs)));
      const outcome = await Promise.race([node.drain().then(() => 'drained' as const), late]);
      clearTimeout(timer);
      if (outcome === 'late')
        logger.warn(
          { node: node.nodeId, deadlineMs, left: node.hosts.size },
          'drain deadline passed; stopping with workspaces still hosted (their leases lapse)',
        );
    };
    const onSignal = () => {
      signals++;
      const flushed = () => void (tracing?.shutdown() ?? Promise.resolve()).finally(done);
      if (signals === 1) void boundedDrain().finally(() => void node.stop().finally(flushed));
      else void node.stop().finally(flushed);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    if (stopWithPid !== null)
      watchPid(stopWithPid, processAlive, () => {
        logger.warn(
          { node: node.nodeId, pid: stopWithPid },
          'MOE_STOP_WITH_PID: that process is gone; stopping',
        );
        signals = 1; // as a second signal: no drain
        onSignal();
      });
  });
  return 0;
}
