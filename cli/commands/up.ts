/**
 * `moe up [--demo]`: the whole platform in one process on the embedded default — a local
 * nats-server when NATS_URL does not answer, the streams and buckets, a workspace-node, the
 * gateway and the supervisor (dashboard). Runs until Ctrl-C; with --demo it first runs the sample
 * task, then stays up (in a terminal) or exits (--exit, or stdout not a terminal).
 *
 * The configuration is checked before anything starts (moe.ts and the port checks here); if a part
 * fails to start, what was started is stopped again. Stopping — Ctrl-C, SIGTERM, SIGHUP, or the
 * end of the demo — goes newest first and NATS last, so the node releases its leases and its
 * heartbeat while the server still answers, within {@link STOP_BOUND_MS} (then the server is killed).
 * With `MOE_STOP_WITH_PID` it also stops so when that process is gone (stopWithPid.ts), its
 * embedded nats-server with it.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { pino } from 'pino';
import { lockDataDir, processAlive, startWorkspaceNode } from '../../workspace-node/index.js';
import { ensureNats } from '../embeddedNats.js';
import { assertPortFree } from '../portCheck.js';
import { StartedParts } from '../shutdown.js';
import { runDemo } from './demo.js';
import { serveGateway } from './gateway.js';
import { embeddedSecretBox } from '../secretsKey.js';
import { serveSupervisor } from './supervisor.js';
import { moeCommandLine } from '../selfCommand.js';
import { processTracing } from '../tracing.js';
import { stopWithPidFrom, watchPid } from '../stopWithPid.js';

/** How long stopping may take before the nats-server we started is killed. */
export const STOP_BOUND_MS = 5000;

export interface UpArgs {
  natsUrl: string;
  dataDir: string;
  demo: boolean;
  /** after the demo: keep the platform up until Ctrl-C (false: stop when the demo ends) */
  stayAfterDemo: boolean;
  port: number;
  gateway: boolean;
  /** start the supervisor (dashboard on supervisorPort) */
  supervisor: boolean;
  supervisorPort: number;
  host: string;
  /** the NATS URL came from a flag or NATS_URL (not the default) */
  explicitNats: boolean;
}

/** Ports that cannot be bound: an error, or in the demo a printed warning and that part left out. */
async function checkPorts(a: UpArgs, print: (s: string) => void): Promise<UpArgs> {
  const out = { ...a };
  const checks = [
    ['gateway', a.gateway, a.port, '--port / MOE_PORT'],
    ['supervisor', a.supervisor, a.supervisorPort, '--supervisor-port / MOE_SUPERVISOR_PORT'],
  ] as const;
  for (const [part, on, port, flags] of checks) {
    if (!on) continue;
    try {
      await assertPortFree(a.host, port, flags);
    } catch (err) {
      if (!a.demo) throw err;
      print(`  ${part.padEnd(9)} not started: ${(err as Error).message}`);
      out[part] = false;
    }
  }
  return out;
}

export async function upCommand(args: UpArgs, print: (s: string) => void): Promise<number> {
  const dataDir = resolve(args.dataDir);
  print('MOE-Agents — embedded default');
  print(`  data dir  ${dataDir}`);
  const a = await checkPorts(args, print);
  // One node process per data dir: refuse (MOE_ERR_DATA_DIR_LOCKED) before starting NATS.
  // The node shares this process's lock; process exit removes it.
  lockDataDir(dataDir, 'moe-up');
  const ownNats = a.demo && !a.explicitNats;
  const nats = await ensureNats(a.natsUrl, dataDir, (l) => print(`  ${l}`), {
    explicit: a.explicitNats,
    own: ownNats,
  });
  if (a.demo && !nats.embedded)
    print(
      `  WARNING   the demo writes org "demo" into the JetStream of the EXISTING server at ${nats.url}` +
        ` (NATS_URL / --nats); other nodes attached to it may run its tasks. Unset both to give the demo its own server.`,
    );
  const parts = new StartedParts();
  const stop = () => parts.stopAll(STOP_BOUND_MS, () => nats.kill());
  parts.add('NATS', () => nats.close(STOP_BOUND_MS));
  const tracing = await processTracing('moe-up', print);
  // stopped after the node, gateway and supervisor (newest first: just before NATS), so their last spans are flushed
  if (tracing) parts.add('tracing', () => tracing.shutdown());
  let gatewayUrl: string | null = null;
  let supervisorUrl: string | null = null;
  let nodeId: string;
  try {
    const logger = pino(
      { level: process.env.MOE_LOG_LEVEL ?? (a.demo ? 'warn' : 'info') },
      pino.destination(2),
    );
    const node = await startWorkspaceNode({ nc: nats.nc, dataDir, logger });
    nodeId = node.nodeId;
    parts.add('workspace-node', () => node.stop());
    print(
      `  node      ${node.nodeId} (hosts workspaces on demand; SQLite + JSONL under ${resolve(dataDir, 'workspaces')})`,
    );
    print(
      node.agents.offline
        ? '  provider  scripted (offline, deterministic) — no provider API key configured'
        : `  providers ${Object.keys(node.agents.profiles).join(', ')} (profiles; see docs/agents.md)`,
    );
    // The operator's console (on the gateway) reads this supervisor; one operator token for both:
    // MOE_OPERATOR_TOKEN, else a fresh one printed below (docs/operations.md, "Console").
    const operatorToken = process.env.MOE_OPERATOR_TOKEN?.trim() || randomBytes(18).toString('base64url');
    if (a.supervisor) {
      const supervisor = await serveSupervisor({
        nc: nats.nc,
        natsUrl: nats.url,
        port: a.supervisorPort,
        host: a.host,
        operatorToken,
      });
      parts.add('supervisor', () => supervisor.stop());
      supervisorUrl = supervisor.url;
      print(`  supervisor ${supervisor.url} (dashboard; node liveness and lease repair)`);
    }
    if (a.gateway) {
      const gateway = await serveGateway(
        {
          nc: nats.nc,
          natsUrl: nats.url,
          port: a.port,
          host: a.host,
          operatorToken,
          ...(supervisorUrl ? { supervisorUrl } : {}),
          secretBox: embeddedSecretBox(dataDir, print),
        },
        print,
      );
      parts.add('gateway', () => gateway.close());
      gatewayUrl = gateway.url;
      print(`  gateway   ${gateway.url} (REST + WebSocket; OpenAPI at ${gateway.url}/docs)`);
      print(`  console   ${gateway.url}/console (operator token: ${operatorToken})`);
    }
  } catch (err) {
    await stop();
    throw err;
  }

  if (a.demo) {
    let code: number;
    try {
      code = await runDemo(nats.nc, dataDir, nodeId, print);
    } catch (err) {
      await stop();
      throw err;
    }
    if (!a.stayAfterDemo) {
      const late = await stop();
      print(
        `\nThe demo is over and the platform has stopped (--exit, or output is not a terminal).` +
          `\nTo keep it running: ${moeCommandLine('up', '--data-dir', dataDir)}`,
      );
      return late.length > 0 ? 1 : code;
    }
    print('\nThe platform stays up until Ctrl-C:');
    if (gatewayUrl) print(`  gateway   ${gatewayUrl} (OpenAPI at ${gatewayUrl}/docs)`);
    if (gatewayUrl) print(`  console   ${gatewayUrl}/console`);
    if (supervisorUrl) print(`  dashboard ${supervisorUrl}`);
    print(`  NATS      ${nats.url}`);
  }
  print('  stop      Ctrl-C');
  return new Promise<number>((done) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        print(`\n${signal} again: killing NATS and exiting now`);
        nats.kill();
        done(1);
        return;
      }
      stopping = true;
      print(`\nstopping (${signal}; again to force)…`);
      void stop().then((late) => {
        if (late.length > 0)
          print(`not stopped within ${STOP_BOUND_MS / 1000} s: ${late.join(', ')} (NATS killed)`);
        else print('stopped');
        done(late.length > 0 ? 1 : 0);
      });
    };
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);
    const stopWithPid = stopWithPidFrom(process.env);
    if (stopWithPid !== null)
      watchPid(stopWithPid, processAlive, () => {
        print(`\nMOE_STOP_WITH_PID: process ${stopWithPid} is gone`);
        onSignal('SIGTERM');
      });
  });
}
