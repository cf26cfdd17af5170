/**
 * A platform for one test file: a real nats-server, a NATS connection, a MoeClient, and helpers to
 * start workspace-nodes (in process) or `moe node` child processes (for kill -9), all torn down
 * by `close()`. Child processes are stopped by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { pino } from 'pino';
import { MoeClient, type RecordWithSeq } from '../../client/index.js';
import { turnsOf, type ActorAddress } from '../../schemas/index.js';
import { readJournal } from '../../actors/kernel/index.js';
import {
  ensureStreams,
  startWorkspaceNode,
  type WorkspaceNode,
  type WorkspaceNodeOptions,
} from '../../workspace-node/index.js';
import { startNatsServer, type NatsServerHandle } from '../../devkit/natsServer.js';
import { tempDir } from './util.js';

export const MOE_BIN = resolve(import.meta.dirname, '../../dist/cli/moe.js');

export interface Platform {
  readonly ns: NatsServerHandle;
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  readonly client: MoeClient;
  readonly dataDir: string;
  node(opts?: WorkspaceNodeOptions): Promise<WorkspaceNode>;
  spawnNode(id: string, dataDir?: string, env?: Record<string, string>): ChildProcess;
  /** every turn of the journal entries on a subject filter (default: all) */
  records(filter?: string): Promise<RecordWithSeq[]>;
  close(): Promise<void>;
}

export const silent = pino({ level: 'silent' });

export async function startPlatform(): Promise<Platform> {
  const ns = await startNatsServer();
  const nc = await connect({ servers: ns.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  const jsm = await jetstreamManager(nc);
  await ensureStreams(nc, jsm);
  const data = tempDir('moe-platform-');
  // the children's TMPDIR (backup scratch dirs): one a kill -9 leaves behind goes with the platform
  const childTmp = tempDir('moe-child-tmp-');
  const nodes: WorkspaceNode[] = [];
  const children: ChildProcess[] = [];
  const client = new MoeClient(nc);
  return {
    ns,
    nc,
    jsm,
    client,
    dataDir: data.path,
    async node(opts = {}) {
      const n = await startWorkspaceNode({ natsUrl: ns.url, dataDir: data.path, logger: silent, ...opts });
      nodes.push(n);
      return n;
    },
    spawnNode(id, dataDir = data.path, env = {}) {
      const child = spawn(
        process.execPath,
        [MOE_BIN, 'node', '--nats', ns.url, '--data-dir', dataDir, '--id', id],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
          env: {
            ...process.env,
            TMPDIR: childTmp.path,
            MOE_LOG_LEVEL: 'warn',
            MOE_LEASE_MS: '1500',
            // a worker killed before its cleanup runs leaves no node behind (cli/stopWithPid.ts)
            MOE_STOP_WITH_PID: String(process.pid),
            ...env,
          },
        },
      );
      child.stderr?.resume();
      children.push(child);
      return child;
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
      await ns.stop();
      data.remove();
      childTmp.remove();
    },
  };
}

/** Turns of one actor are 1..n with no gap and no repeat, and no command id appears twice. */
export function assertCleanJournal(records: readonly RecordWithSeq[], actor: ActorAddress): string | null {
  const mine = records.filter(
    (r) =>
      r.record.actor.org === actor.org &&
      r.record.actor.ws === actor.ws &&
      r.record.actor.kind === actor.kind &&
      r.record.actor.id === actor.id,
  );
  const turns = mine.map((r) => r.record.turn);
  for (let i = 0; i < turns.length; i++)
    if (turns[i] !== i + 1) return `turns not contiguous: ${turns.join(',')}`;
  const ids = mine.map((r) => r.record.cmd.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  return dup ? `command ${dup} applied twice` : null;
}
