/**
 * The cluster status the dashboard shows and `/api/status` returns: nodes (heartbeat age, live or
 * dead, workspaces), workspaces (lease holder, epoch, lease remaining, consumer backlog, backups as
 * the hosting node reports them: last good backup and its age, verification, mirror lag), dead
 * letters (count and the last {@link RECENT_DEAD_LETTERS}) and stream sizes. Read on demand from
 * the supervisor's KV mirrors and the JetStream API.
 *
 * A node is `live`, `suspect` (it missed {@link SUSPECT_AFTER_BEATS} heartbeats but is not yet
 * stale) or `dead` (stale); a dead node leaves the list once its last heartbeat is older than
 * `staleMs + deadNodeTtlMs`. A workspace's lease is `held`, `expired` (ran out, its holder alive)
 * or `released` (its holder died: the leader expired it — `until` 0 — or it ran out; the old
 * holder is still named).
 */
import type { ConsumerInfo, JetStreamManager } from '@nats-io/jetstream';
import {
  NODE_HEARTBEAT_MS,
  legacyWorkspaceConsumerName,
  placementKey,
  STREAMS,
  workspaceConsumerName,
  type WorkspaceBackupReport,
} from '../schemas/index.js';
import type { KvMirror } from './kvMirror.js';
import type { LeaderRecord } from './leadership.js';
import type { Membership, NodeView } from './membership.js';
import { parseLease } from './repair.js';

export const RECENT_DEAD_LETTERS = 20;
/** Heartbeats a node may miss before it shows as suspect. */
export const SUSPECT_AFTER_BEATS = 2;
/** How long a dead node stays listed after it went stale (`MOE_DEAD_NODE_TTL_MS`). */
export const DEFAULT_DEAD_NODE_TTL_MS = 60_000;

export type NodeState = 'live' | 'suspect' | 'dead';
export type LeaseState = 'held' | 'expired' | 'released';

/** A node as the status lists it: its heartbeat view and its state. */
export interface NodeStatus extends NodeView {
  readonly state: NodeState;
}

export interface WorkspaceStatus {
  /** `<org>.<ws>` */
  readonly workspace: string;
  readonly holder: string | null;
  readonly holderLive: boolean;
  readonly epoch: number | null;
  /** ms until the lease expires (≤ 0: expired) */
  readonly leaseRemainingMs: number | null;
  /** null: no lease record */
  readonly lease: LeaseState | null;
  /** num_pending + num_ack_pending of the workspace's durable consumer (null: no consumer yet) */
  readonly backlog: number | null;
  /** its backups, as the node hosting it reports them (null: no node reports it) */
  readonly backup: WorkspaceBackupStatus | null;
}

/** A node's backup report of a workspace, with ages by the supervisor's clock. */
export interface WorkspaceBackupStatus extends WorkspaceBackupReport {
  /** the node that reported it */
  readonly node: string;
  /**
   * ms since the last good backup was last known to hold every turn (made, or a run skipped since:
   * nothing new): the RPO now (null: no backup yet)
   */
  readonly ageMs: number | null;
  /** ms the lagging copy (mirror or primary) has been behind; 0 when both are in sync */
  readonly mirrorLagMs: number;
}

export interface DeadLetterSummary {
  readonly seq: number;
  readonly subject: string;
  readonly code: string;
  readonly reason: string;
  readonly at: number | null;
}

export interface StreamSize {
  readonly name: string;
  readonly messages: number;
  readonly bytes: number;
  readonly consumers: number;
}

export interface SupervisorStatus {
  readonly supervisor: {
    readonly id: string;
    readonly leader: boolean;
    readonly leaderId: string | null;
    readonly staleMs: number;
    readonly deadNodeTtlMs: number;
    readonly leasesReleased: number;
  };
  readonly at: number;
  readonly nodes: readonly NodeStatus[];
  readonly workspaces: readonly WorkspaceStatus[];
  readonly deadLetters: { readonly count: number; readonly recent: readonly DeadLetterSummary[] };
  readonly streams: readonly StreamSize[];
}

export interface StatusSources {
  readonly jsm: JetStreamManager;
  readonly membership: Membership;
  readonly placement: KvMirror;
  readonly self: { id: string; leader: boolean; leaderRecord: LeaderRecord | null; leasesReleased: number };
  readonly staleMs: number;
  readonly deadNodeTtlMs: number;
  readonly now: () => number;
}

function nodeState(n: NodeView): NodeState {
  if (!n.live) return 'dead';
  return n.ageMs > SUSPECT_AFTER_BEATS * NODE_HEARTBEAT_MS ? 'suspect' : 'live';
}

/** `released`: expired by the leader (`until` 0), or run out while its holder is dead. */
function leaseState(lease: { until: number } | null, holderLive: boolean, now: number): LeaseState | null {
  if (!lease) return null;
  if (lease.until === 0) return 'released';
  if (lease.until > now) return 'held';
  return holderLive ? 'expired' : 'released';
}

const prefix = 'moe.cmd.';

/** `<org>.<ws>` of a workspace consumer, from its filter `moe.cmd.<org>.<ws>.>` */
function workspaceOf(ci: ConsumerInfo): string | null {
  const f = ci.config.filter_subject ?? ci.config.filter_subjects?.[0];
  if (!f?.startsWith(prefix) || !f.endsWith('.>')) return null;
  const parts = f.slice(prefix.length, -2).split('.');
  if (parts.length !== 2) return null;
  const [org, ws] = parts as [string, string];
  const ours = ci.name === workspaceConsumerName(org, ws) || ci.name === legacyWorkspaceConsumerName(org, ws);
  return ours ? placementKey(org, ws) : null;
}

async function backlogs(jsm: JetStreamManager): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const ci of jsm.consumers.list(STREAMS.commands)) {
    const ws = workspaceOf(ci);
    if (ws) out.set(ws, ci.num_pending + ci.num_ack_pending);
  }
  return out;
}

async function deadLetters(jsm: JetStreamManager): Promise<SupervisorStatus['deadLetters']> {
  const info = await jsm.streams.info(STREAMS.deadLetters);
  const recent: DeadLetterSummary[] = [];
  const { first_seq: first, last_seq: last, messages } = info.state;
  for (let seq = last; messages > 0 && seq >= first && recent.length < RECENT_DEAD_LETTERS; seq--) {
    const m = await jsm.streams.getMessage(STREAMS.deadLetters, { seq }).catch(() => null);
    if (!m) continue;
    let v: Record<string, unknown>;
    try {
      v = m.json<Record<string, unknown>>() ?? {};
    } catch {
      v = {};
    }
    recent.push({
      seq,
      subject: typeof v.subject === 'string' ? v.subject : m.subject,
      code: typeof v.code === 'string' ? v.code : 'unknown',
      reason: typeof v.reason === 'string' ? v.reason : '',
      at: typeof v.at === 'number' ? v.at : null,
    });
  }
  return { count: messages, recent };
}

async function streamSizes(jsm: JetStreamManager): Promise<StreamSize[]> {
  const out: StreamSize[] = [];
  for (const name of Object.values(STREAMS)) {
    const info = await jsm.streams.info(name).catch(() => null);
    if (info)
      out.push({
        name,
        messages: info.state.messages,
        bytes: info.state.bytes,
        consumers: info.state.consumer_count,
      });
  }
  return out;
}

export async function collectStatus(s: StatusSources): Promise<SupervisorStatus> {
  const now = s.now();
  const nodes: NodeStatus[] = s.membership
    .nodes()
    .filter((n) => n.ageMs <= s.staleMs + s.deadNodeTtlMs)
    .map((n) => ({ ...n, state: nodeState(n) }));
  const live = new Set(nodes.filter((n) => n.live).map((n) => n.id));
  const [backlog, dlq, streams] = await Promise.all([
    backlogs(s.jsm),
    deadLetters(s.jsm),
    streamSizes(s.jsm),
  ]);
  const holders = new Map<string, string>();
  for (const e of s.placement.values()) {
    const lease = parseLease(e.value);
    if (lease) holders.set(e.key, lease.node);
  }
  const reports = s.membership.backups((ws) => holders.get(ws) ?? null);
  const backupOf = (ws: string): WorkspaceBackupStatus | null => {
    const r = reports.get(ws);
    if (!r) return null;
    const { report } = r;
    // the recovery point: when the backup was last known to hold every turn
    const at = report.lastBackup?.currentAt ?? report.lastBackup?.at ?? null;
    return {
      node: r.node,
      ...report,
      ageMs: at === null ? null : Math.max(0, now - at),
      mirrorLagMs: report.behindSince === null ? 0 : Math.max(0, now - report.behindSince),
    };
  };
  const byWs = new Map<string, WorkspaceStatus>();
  for (const e of s.placement.values()) {
    const lease = parseLease(e.value);
    byWs.set(e.key, {
      workspace: e.key,
      holder: lease?.node ?? null,
      holderLive: lease ? live.has(lease.node) : false,
      epoch: lease?.epoch ?? null,
      leaseRemainingMs: lease ? lease.until - now : null,
      lease: leaseState(lease, lease ? live.has(lease.node) : false, now),
      backlog: backlog.get(e.key) ?? null,
      backup: backupOf(e.key),
    });
  }
  for (const [ws, n] of backlog)
    if (!byWs.has(ws))
      byWs.set(ws, {
        workspace: ws,
        holder: null,
        holderLive: false,
        epoch: null,
        leaseRemainingMs: null,
        lease: null,
        backlog: n,
        backup: backupOf(ws),
      });
  return {
    supervisor: {
      id: s.self.id,
      leader: s.self.leader,
      leaderId: s.self.leaderRecord?.id ?? null,
      staleMs: s.staleMs,
      deadNodeTtlMs: s.deadNodeTtlMs,
      leasesReleased: s.self.leasesReleased,
    },
    at: now,
    nodes,
    workspaces: [...byWs.values()].sort((a, b) => a.workspace.localeCompare(b.workspace)),
    deadLetters: dlq,
    streams,
  };
}
