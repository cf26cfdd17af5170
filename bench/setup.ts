/**
 * Bench fixtures: a private nats-server (same binary and version as production), the streams, and
 * a quiet workspace-node. Everything measured in one run shares this one server.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startNatsServer, type NatsServerHandle } from '../devkit/index.js';
import { ensureStreams, startWorkspaceNode, type WorkspaceNode } from '../workspace-node/index.js';

export interface Bench {
  ns: NatsServerHandle;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  dataDir: string;
  node(only: string[]): Promise<WorkspaceNode>;
  close(): Promise<void>;
}

export async function startBench(): Promise<Bench> {
  const ns = await startNatsServer();
  // The same connection options as a workspace-node, so the baseline is measured like the kernel.
  const nc = await connect({ servers: ns.url, noAsyncTraces: true });
  const jsm = await jetstreamManager(nc);
  await ensureStreams(nc, jsm);
  const dataDir = mkdtempSync(join(tmpdir(), 'moe-bench-'));
  const nodes: WorkspaceNode[] = [];
  return {
    ns,
    nc,
    js: jetstream(nc),
    jsm,
    dataDir,
    async node(only) {
      const n = await startWorkspaceNode({
        natsUrl: ns.url,
        dataDir,
        only,
        idleMs: 3_600_000,
        logger: pino({ level: 'silent' }),
      });
      nodes.push(n);
      return n;
    },
    async close() {
      for (const n of nodes) await n.stop();
      await nc.close();
      await ns.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs `tasks` with at most `window` in flight. */
export async function pipelined(
  count: number,
  window: number,
  task: (i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(window, count) }, worker));
}

export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export async function waitFor(probe: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
