/**
 * The platform on a 3-server JetStream cluster, for one test file: the cluster (devkit
 * startNatsCluster), a connection that knows all three servers, MOE's streams and KV buckets with 3
 * replicas (MOE_REPLICAS=3), a MoeClient, and helpers to start workspace-nodes in process or as
 * `moe node` child processes (for kill -9), every one pointed at all three servers. `close()` stops
 * the children by pid, the in-process nodes, and the cluster.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { MoeClient, type RecordWithSeq } from '../../client/index.js';
import { turnsOf } from '../../schemas/index.js';
import { readJournal } from '../../actors/kernel/index.js';
import {
  ensureStreams,
  startWorkspaceNode,
  type WorkspaceNode,
  type WorkspaceNodeOptions,
} from '../../workspace-node/index.js';
import { startNatsCluster, type NatsClusterHandle } from '../../devkit/natsCluster.js';
import { MOE_BIN, silent } from './platform.js';
import { tempDir } from './util.js';

export const CLUSTER_REPLICAS = 3;

export interface ClusterPlatform {
  readonly cluster: NatsClusterHandle;
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  readonly client: MoeClient;
  node(opts: WorkspaceNodeOptions & { dataDir: string }): Promise<WorkspaceNode>;
  /** a `moe node` child process on all three servers, with MOE_REPLICAS=3 */
  spawnNode(id: string, dataDir: string, env?: Record<string, string>): ChildProcess;
  /** the last lines a spawned node logged (MOE_LOG_LEVEL=warn: its warnings and errors), for failure messages */
  logsOf(id: string): string;
  /** how many log lines of a spawned node carried this pino `msg`, over its whole life */
  logCount(id: string, msg: string): number;
  /** every turn of the journal entries on a subject filter (default: all) */
  records(filter?: string): Promise<RecordWithSeq[]>;
  close(): Promise<void>;
}

export async function startClusterPlatform(): Promise<ClusterPlatform> {
  const cluster = await startNatsCluster();
  const nc = await connect({
    servers: [...cluster.urls],
    maxReconnectAttempts: -1,
    reconnectTimeWait: 100,
    noAsyncTraces: true,
  });
  const jsm = await jetstreamManager(nc);
  await ensureStreams(nc, jsm, { replicas: CLUSTER_REPLICAS });
  // the children's TMPDIR (backup scratch dirs): one a kill -9 leaves behind goes with the platform
  const childTmp = tempDir('moe-child-tmp-');
  const nodes: WorkspaceNode[] = [];
  const children: ChildProcess[] = [];
  const stderr = new Map<string, string[]>();
  const counts = new Map<string, Map<string, number>>();
  const client = new MoeClient(nc);
  return {
    cluster,
    nc,
    jsm,
    client,
    async node(opts) {
      const n = await startWorkspaceNode({
        natsUrl: cluster.url,
        logger: silent,
        replicas: CLUSTER_REPLICAS,
        ...opts,
      });
      nodes.push(n);
      return n;
    },
    spawnNode(id, dataDir, env = {}) {
      const child = spawn(
        process.execPath,
        [MOE_BIN, 'node', '--nats', cluster.url, '--data-dir', dataDir, '--id', id],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: {
            ...process.env,
            TMPDIR: childTmp.path,
            // a worker killed before its cleanup runs leaves no node behind (cli/stopWithPid.ts)
            MOE_STOP_WITH_PID: String(process.pid),
            MOE_LOG_LEVEL: 'warn',
            MOE_LEASE_MS: '1500',
            MOE_REPLICAS: String(CLUSTER_REPLICAS),
            ...env,
          },
        },
      );
      const lines: string[] = [];
      stderr.set(id, lines);
      const byMsg = new Map<string, number>();
      counts.set(id, byMsg);
      const count = (line: string) => {
        const msg = /"msg":"((?:[^"\\]|\\.)*)"/.exec(line)?.[1];
        if (msg !== undefined) byMsg.set(msg, (byMsg.get(msg) ?? 0) + 1);
      };
      // pino logs to stdout; stderr has what the process prints outside its logger
      for (const out of [child.stdout, child.stderr]) {
        let partial = '';
        out?.setEncoding('utf8');
        out?.on('data', (chunk: string) => {
          const split = (partial + chunk).split('\n');
          partial = split.pop() ?? '';
          const complete = split.filter(Boolean);
          complete.forEach(count);
          lines.push(...complete);
          lines.splice(0, Math.max(0, lines.length - 200));
        });
      }
      children.push(child);
      return child;
    },
    logsOf(id) {
      return (stderr.get(id) ?? []).join('\n');
    },
    logCount(id, msg) {
      return counts.get(id)?.get(msg) ?? 0;
    },
    async records(filter = 'moe.evt.>') {
      const out: RecordWithSeq[] = [];
      for await (const { seq, entry } of readJournal(client.js, filter, 0))
        for (const record of turnsOf(entry)) out.push({ seq, record });
      return out;
    },
    async close() {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      for (const n of nodes) await n.stop().catch(() => undefined);
      await nc.close().catch(() => undefined);
      await cluster.stop();
      childTmp.remove();
    },
  };
}
