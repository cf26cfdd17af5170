/**
 * Membership: which workspace-nodes are alive, read from their heartbeats in KV `moe_nodes`
 * (key = node id, value `{node, at, workspaces, draining, degraded, backups, stats}`, written every NODE_HEARTBEAT_MS). A node is
 * dead when its last heartbeat is older than `staleMs` by the supervisor's clock. Keys under
 * {@link SUPERVISOR_KEY_PREFIX} belong to the supervisors, not to nodes, and are skipped.
 */
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { NodeLiveStats, WorkspaceBackupReport } from '../schemas/index.js';
import type { KvMirror } from './kvMirror.js';

const isBackupReport = TypeCompiler.Compile(WorkspaceBackupReport);
const isLiveStats = TypeCompiler.Compile(NodeLiveStats);

/** A workspace's backup report and the node that sent it (in its heartbeat of time `at`). */
export interface ReportedBackup {
  readonly node: string;
  readonly at: number;
  readonly report: WorkspaceBackupReport;
}

/** Keys in `moe_nodes` that are not node heartbeats (the leader record lives here). */
export const SUPERVISOR_KEY_PREFIX = '_supervisor.';

export interface NodeView {
  readonly id: string;
  /** epoch ms of the last heartbeat (the node's clock) */
  readonly at: number;
  /** ms since the last heartbeat, by the supervisor's clock */
  readonly ageMs: number;
  readonly workspaces: readonly string[];
  readonly live: boolean;
  /** what the node reports running degraded (`<org>.<ws>: <reason>`); empty when healthy */
  readonly degraded: readonly string[];
  /** the node is draining (`moe node drain`, SIGTERM): it takes no new workspace */
  readonly draining: boolean;
  /** its live figures (turns/s, turn latency, memory, providers); null: none, or not valid */
  readonly stats: NodeLiveStats | null;
}

interface Heartbeat {
  node?: unknown;
  at?: unknown;
  workspaces?: unknown;
  degraded?: unknown;
  backups?: unknown;
  draining?: unknown;
  stats?: unknown;
}

export class Membership {
  constructor(
    private readonly mirror: KvMirror,
    private readonly staleMs: number,
    private readonly now: () => number,
  ) {}

  nodes(): NodeView[] {
    const now = this.now();
    const out: NodeView[] = [];
    for (const e of this.mirror.values()) {
      if (e.key.startsWith(SUPERVISOR_KEY_PREFIX)) continue;
      const hb = (e.value ?? {}) as Heartbeat;
      const at = typeof hb.at === 'number' ? hb.at : 0;
      const workspaces = Array.isArray(hb.workspaces)
        ? hb.workspaces.filter((w): w is string => typeof w === 'string')
        : [];
      const degraded = Array.isArray(hb.degraded)
        ? hb.degraded.filter((d): d is string => typeof d === 'string')
        : [];
      const ageMs = Math.max(0, now - at);
      const draining = hb.draining === true;
      const stats = isLiveStats.Check(hb.stats) ? hb.stats : null;
      out.push({ id: e.key, at, ageMs, workspaces, live: ageMs <= this.staleMs, degraded, draining, stats });
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  /**
   * The backup reports in the heartbeats, by `org.ws`: of `preferred(ws)` (the lease holder) when it
   * sent one, else the newest. A report that does not match its schema is left out.
   */
  backups(preferred: (ws: string) => string | null): Map<string, ReportedBackup> {
    const out = new Map<string, ReportedBackup>();
    for (const e of this.mirror.values()) {
      if (e.key.startsWith(SUPERVISOR_KEY_PREFIX)) continue;
      const hb = (e.value ?? {}) as Heartbeat;
      if (typeof hb.backups !== 'object' || hb.backups === null) continue;
      const at = typeof hb.at === 'number' ? hb.at : 0;
      for (const [ws, report] of Object.entries(hb.backups as Record<string, unknown>)) {
        if (!isBackupReport.Check(report)) continue;
        const seen = out.get(ws);
        const better = !seen || (seen.node !== preferred(ws) && (e.key === preferred(ws) || at > seen.at));
        if (better) out.set(ws, { node: e.key, at, report });
      }
    }
    return out;
  }

  /**
   * Whether a lease holder is alive. A node without any heartbeat counts as dead (a node writes
   * one before it takes leases and deletes it only after releasing them).
   */
  isLive(nodeId: string): boolean {
    return this.nodes().some((n) => n.id === nodeId && n.live);
  }

  /** The ids of the live nodes (see {@link isLive}). */
  live(): string[] {
    return this.nodes().flatMap((n) => (n.live ? [n.id] : []));
  }
}
