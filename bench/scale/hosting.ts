/**
 * What hosting costs a workspace-node per workspace (docs/scale.md, "Per node"): a node starts
 * with `k` workspaces that each have one command waiting, and the clock runs until all are hosted
 * (lease, directory and six SQLite databases, projection worker thread, durable consumer). Then:
 * this process's memory and threads per hosted workspace, the heartbeat's bytes per hosted
 * workspace (it lists them and their backup status), and a second start on the same data dir
 * (every workspace local already: what re-hosting a node's share costs, without restores).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kvm } from '@nats-io/kv';
import { pino } from 'pino';
import { KV_BUCKETS } from '../../schemas/index.js';
import { startWorkspaceNode, type WorkspaceNode } from '../../workspace-node/index.js';
import { r1, scaleServer, threads } from './kit.js';

const silent = pino({ level: 'silent' });

async function allHosted(node: WorkspaceNode, k: number): Promise<void> {
  while (node.hosts.size < k) await new Promise((r) => setTimeout(r, 10));
}

export async function hostingCost(k: number, log: (s: string) => void): Promise<Record<string, unknown>> {
  const s = await scaleServer();
  const dataDir = mkdtempSync(join(tmpdir(), 'moe-scale-hosting-'));
  try {
    const body = new TextEncoder().encode(JSON.stringify({ id: 'c1', type: 'task.cancel' }));
    for (let w = 0; w < k; w++) await s.js.publish(`moe.cmd.scale.w${w}.agent.a1`, body);
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    const threads0 = threads();
    log(`hosting: a node starts with ${k} workspaces waiting…`);
    const opts = { natsUrl: s.ns.url, dataDir, logger: silent, idleMs: 3_600_000, nodeId: 'scale-node' };
    let t = performance.now();
    let node = await startWorkspaceNode(opts);
    await allHosted(node, k);
    const firstS = (performance.now() - t) / 1000;
    await new Promise((r) => setTimeout(r, 1_500)); // a heartbeat with every workspace in it
    global.gc?.();
    const rss1 = process.memoryUsage().rss;
    const threads1 = threads();
    const kvm = new Kvm(s.nc);
    const beat = await (await kvm.open(KV_BUCKETS.nodes)).get('scale-node');
    const beatValue = beat
      ? (JSON.parse(new TextDecoder().decode(beat.value)) as Record<string, unknown>)
      : {};
    const beatBytes = beat?.value.length ?? 0;
    const beatEmpty = JSON.stringify({ ...beatValue, workspaces: [], degraded: [], backups: {} }).length;
    const lease = await (await kvm.open(KV_BUCKETS.placement)).get('scale.w0');
    const registration = await (await kvm.open(KV_BUCKETS.workspaces)).get('scale.w0');
    t = performance.now();
    await node.stop();
    const stopS = (performance.now() - t) / 1000;
    log('hosting: the same node again, every workspace local…');
    t = performance.now();
    node = await startWorkspaceNode(opts);
    await allHosted(node, k);
    const againS = (performance.now() - t) / 1000;
    await node.stop();
    return {
      workspaces: k,
      host_all_s: r1(firstS),
      host_per_s: Math.round(k / firstS),
      rehost_all_local_s: r1(againS),
      stop_all_s: r1(stopS),
      node_rss_mb_per_workspace: r1((rss1 - rss0) / 1024 / 1024 / k),
      threads_per_workspace: threads0 !== null && threads1 !== null ? r1((threads1 - threads0) / k) : null,
      heartbeat_bytes: beatBytes,
      heartbeat_bytes_per_workspace: Math.round((beatBytes - beatEmpty) / k),
      lease_value_bytes: lease?.value.length ?? null,
      registry_value_bytes: registration?.value.length ?? null,
    };
  } finally {
    await s.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
