/**
 * `moe up [--demo]`: the whole platform in one process on the embedded default — a local
 * nats-server when NATS_URL does not answer, the streams and buckets, a workspace-node, the
 * gateway and the supervisor (dashboard).
 * With --demo it runs the sample task and exits; without, it runs until Ctrl-C.
 */
import { resolve } from 'node:path';
import { pino } from 'pino';
import { lockDataDir, startWorkspaceNode } from '../../workspace-node/index.js';
import { ensureNats } from '../embeddedNats.js';
import { runDemo } from './demo.js';
import { serveGateway } from './gateway.js';
import { serveSupervisor } from './supervisor.js';
import type { StartedGateway } from '../../gateway/index.js';
import type { Supervisor } from '../../supervisor/index.js';

export interface UpArgs {
  natsUrl: string;
  dataDir: string;
  demo: boolean;
  port: number;
  gateway: boolean;
  /** start the supervisor (dashboard on supervisorPort) */
  supervisor: boolean;
  supervisorPort: number;
  host: string;
  /** the NATS URL came from a flag or NATS_URL (not the default) */
  explicitNats: boolean;
}

export async function upCommand(a: UpArgs, print: (s: string) => void): Promise<number> {
  const dataDir = resolve(a.dataDir);
  // One node process per data dir: refuse (MOE_ERR_DATA_DIR_LOCKED) before starting anything.
  // The node shares this process's lock; process exit removes it.
  lockDataDir(dataDir, 'moe-up');
  print('MOE-Agents — embedded default');
  print(`  data dir  ${dataDir}`);
  const nats = await ensureNats(a.natsUrl, dataDir, (l) => print(`  ${l}`), a.explicitNats);
  const logger = pino(
    { level: process.env.MOE_LOG_LEVEL ?? (a.demo ? 'warn' : 'info') },
    pino.destination(2),
  );
  const node = await startWorkspaceNode({ nc: nats.nc, dataDir, logger });
  print(
    `  node      ${node.nodeId} (hosts workspaces on demand; SQLite + JSONL under ${resolve(dataDir, 'workspaces')})`,
  );
  print(
    node.agents.offline
      ? '  provider  scripted (offline, deterministic) — no provider API key configured'
      : `  providers ${Object.keys(node.agents.profiles).join(', ')} (profiles; see docs/agents.md)`,
  );
  let gateway: StartedGateway | null = null;
  if (a.gateway) {
    try {
      gateway = await serveGateway({ nc: nats.nc, natsUrl: nats.url, port: a.port, host: a.host }, print);
      print(`  gateway   ${gateway.url} (REST + WebSocket; OpenAPI at ${gateway.url}/docs)`);
    } catch (err) {
      const reason =
        (err as NodeJS.ErrnoException).code === 'EADDRINUSE'
          ? `port ${a.port} is in use (--port N)`
          : String(err);
      if (!a.demo) throw err;
      print(`  gateway   not started: ${reason}`);
    }
  }
  let supervisor: Supervisor | null = null;
  if (a.supervisor) {
    try {
      supervisor = await serveSupervisor({
        nc: nats.nc,
        natsUrl: nats.url,
        port: a.supervisorPort,
        host: a.host,
      });
      print(`  supervisor ${supervisor.url} (dashboard; node liveness and lease repair)`);
    } catch (err) {
      const reason =
        (err as NodeJS.ErrnoException).code === 'EADDRINUSE'
          ? `port ${a.supervisorPort} is in use (--supervisor-port N)`
          : String(err);
      if (!a.demo) throw err;
      print(`  supervisor not started: ${reason}`);
    }
  }
  const stop = async () => {
    await supervisor?.stop();
    await gateway?.close();
    await node.stop();
    await nats.close();
  };
  if (a.demo) {
    try {
      return await runDemo(nats.nc, dataDir, print);
    } finally {
      await stop();
    }
  }
  print('  stop      Ctrl-C');
  await new Promise<void>((done) => {
    const onSignal = () => {
      print('\nstopping…');
      void stop().finally(done);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  return 0;
}
