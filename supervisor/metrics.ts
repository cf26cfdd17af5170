/**
 * The supervisor's `/metrics` (Prometheus text format, prom-client): per workspace, the backup
 * figures its hosting node reports in the heartbeat (status.ts), so one scrape of any supervisor
 * covers the cluster. Built from the status on every scrape (a fresh registry: a workspace that
 * went away leaves no stale series). Labels `org`, `ws`; times in seconds.
 *
 * | metric                                        | meaning                                              |
 * | --------------------------------------------- | ---------------------------------------------------- |
 * | moe_backup_last_success_timestamp_seconds     | when the last good (verified) backup was made        |
 * | moe_backup_age_seconds                        | since it was last known current: the RPO right now   |
 * | moe_backup_last_verify_timestamp_seconds      | when a backup was last verified                      |
 * | moe_backup_last_verify_ok                     | 1 when that verification found no problem, else 0    |
 * | moe_backup_last_failure_timestamp_seconds     | when a backup last failed (`backup.failed`)          |
 * | moe_backup_mirror_pending_objects{copy}       | objects that copy (mirror/primary) still lacks       |
 * | moe_backup_mirror_lag_seconds                 | how long the lagging copy has been behind (0: synced) |
 * | moe_restore_duration_seconds{phase}           | the last restore on takeover: `serve`, `files`       |
 *
 * And the cluster as the status sees it: nodes by state, each workspace's command backlog, dead
 * letters stored, stream sizes (`moe_cluster_*`). The supervisor's own process metrics
 * (processMetrics.ts) come first in the same answer. docs/operations.md lists every series.
 */
import { Gauge, Registry } from 'prom-client';
import type { SupervisorStatus } from './status.js';

const seconds = (ms: number) => ms / 1000;

/** The metrics text for `status`, and its content type. */
export async function renderMetrics(
  status: SupervisorStatus,
  process?: Registry,
): Promise<{ contentType: string; body: string }> {
  const registry = new Registry();
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Gauge<L>({ name, help, labelNames, registers: [registry] });
  const ws = ['org', 'ws'] as const;
  const lastSuccess = gauge(
    'moe_backup_last_success_timestamp_seconds',
    'when the last good (verified) backup was made',
    ws,
  );
  const age = gauge(
    'moe_backup_age_seconds',
    'seconds since the last good backup was last known to hold every turn (made, or a run skipped: nothing new): the RPO now',
    ws,
  );
  const verifyAt = gauge('moe_backup_last_verify_timestamp_seconds', 'when a backup was last verified', ws);
  const verifyOk = gauge(
    'moe_backup_last_verify_ok',
    '1 when the last verification found no problem, else 0',
    ws,
  );
  const failureAt = gauge(
    'moe_backup_last_failure_timestamp_seconds',
    'when a backup last failed after its retries',
    ws,
  );
  const pending = gauge(
    'moe_backup_mirror_pending_objects',
    'backup objects one copy (mirror or primary) still lacks',
    [...ws, 'copy'] as const,
  );
  const lag = gauge(
    'moe_backup_mirror_lag_seconds',
    'how long the lagging copy has been behind (0: in sync)',
    ws,
  );
  const restore = gauge(
    'moe_restore_duration_seconds',
    'the last restore on takeover: until serving, until the files were back',
    [...ws, 'phase'] as const,
  );

  for (const w of status.workspaces) {
    const b = w.backup;
    if (!b) continue;
    const dot = w.workspace.indexOf('.');
    const labels = { org: w.workspace.slice(0, dot), ws: w.workspace.slice(dot + 1) };
    if (b.lastBackup?.at != null) lastSuccess.set(labels, seconds(b.lastBackup.at));
    if (b.ageMs !== null) age.set(labels, seconds(b.ageMs));
    if (b.lastVerify) {
      verifyAt.set(labels, seconds(b.lastVerify.at));
      verifyOk.set(labels, b.lastVerify.ok ? 1 : 0);
    }
    if (b.lastFailure) failureAt.set(labels, seconds(b.lastFailure.at));
    pending.set({ ...labels, copy: 'mirror' }, b.pending.mirror);
    pending.set({ ...labels, copy: 'primary' }, b.pending.primary);
    lag.set(labels, seconds(b.mirrorLagMs));
    if (b.restore) {
      restore.set({ ...labels, phase: 'serve' }, seconds(b.restore.rtoMs));
      if (b.restore.filesRtoMs !== null)
        restore.set({ ...labels, phase: 'files' }, seconds(b.restore.filesRtoMs));
    }
  }
  clusterGauges(registry, status);
  const own = process ? await process.metrics() : '';
  return { contentType: registry.contentType, body: own + (await registry.metrics()) };
}

/** The cluster figures of the status: nodes, backlogs, dead letters, streams. */
function clusterGauges(registry: Registry, status: SupervisorStatus): void {
  const registers = [registry];
  const nodes = new Gauge({
    name: 'moe_cluster_nodes',
    help: 'workspace-nodes with a heartbeat, by state (live, dead: no heartbeat within the stale threshold)',
    labelNames: ['state'],
    registers,
  });
  const live = status.nodes.filter((n) => n.live).length;
  nodes.set({ state: 'live' }, live);
  nodes.set({ state: 'dead' }, status.nodes.length - live);
  const backlog = new Gauge({
    name: 'moe_cluster_workspace_backlog',
    help: 'commands of a workspace not yet acked (its consumer: pending + unacked), by org and ws',
    labelNames: ['org', 'ws'],
    registers,
  });
  for (const w of status.workspaces) {
    if (w.backlog === null) continue;
    const dot = w.workspace.indexOf('.');
    backlog.set({ org: w.workspace.slice(0, dot), ws: w.workspace.slice(dot + 1) }, w.backlog);
  }
  new Gauge({
    name: 'moe_cluster_dead_letters',
    help: 'dead letters stored in MOE_DLQ',
    registers,
  }).set(status.deadLetters.count);
  const messages = new Gauge({
    name: 'moe_cluster_stream_messages',
    help: 'messages in each JetStream stream of the platform',
    labelNames: ['stream'],
    registers,
  });
  const bytes = new Gauge({
    name: 'moe_cluster_stream_bytes',
    help: 'bytes in each JetStream stream of the platform',
    labelNames: ['stream'],
    registers,
  });
  for (const st of status.streams) {
    messages.set({ stream: st.name }, st.messages);
    bytes.set({ stream: st.name }, st.bytes);
  }
}
