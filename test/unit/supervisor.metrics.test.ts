/**
 * The supervisor's `/metrics` text (supervisor/metrics.ts) from a status: one series per workspace
 * and figure, in seconds, with `org`/`ws` labels; figures a workspace does not have (no backup yet,
 * no restore) are absent, not zero; a workspace no node reports has no series.
 */
import { describe, expect, it } from 'vitest';
import { renderMetrics } from '../../supervisor/metrics.js';
import type { SupervisorStatus, WorkspaceStatus } from '../../supervisor/index.js';

const workspace = (name: string, backup: WorkspaceStatus['backup']): WorkspaceStatus => ({
  workspace: name,
  holder: 'n1',
  holderLive: true,
  epoch: 1,
  leaseRemainingMs: 1000,
  lease: 'held',
  backlog: 0,
  backup,
});

const status = (workspaces: WorkspaceStatus[]): SupervisorStatus => ({
  supervisor: {
    id: 's',
    leader: true,
    leaderId: 's',
    staleMs: 3000,
    deadNodeTtlMs: 60_000,
    leasesReleased: 0,
  },
  at: 100_000,
  nodes: [],
  workspaces,
  deadLetters: { count: 0, recent: [] },
  streams: [],
});

describe('supervisor metrics', () => {
  it('renders backup, verification, mirror lag and restore figures per workspace', async () => {
    const { contentType, body } = await renderMetrics(
      status([
        workspace('acme.main', {
          node: 'n1',
          lastBackup: { id: 'b1', at: 40_000, currentAt: 70_000 },
          ageMs: 30_000,
          lastVerify: {
            at: 80_000,
            backupId: 'b1',
            ok: false,
            code: 'MOE_ERR_BACKUP_INTEGRITY',
            scheduled: true,
          },
          lastFailure: null,
          verifyIntervalMs: 60_000,
          pending: { mirror: 3, primary: 0 },
          behindSince: 95_000,
          mirrorLagMs: 5_000,
          restore: { backupId: 'b0', at: 10_000, rtoMs: 1_250, filesRtoMs: null },
        }),
        workspace('acme.fresh', {
          node: 'n1',
          lastBackup: null,
          ageMs: null,
          lastVerify: null,
          lastFailure: { at: 90_000, code: 'MOE_ERR_STORAGE_UNAVAILABLE', message: 'down' },
          verifyIntervalMs: null,
          pending: { mirror: 0, primary: 0 },
          behindSince: null,
          mirrorLagMs: 0,
          restore: null,
        }),
        workspace('acme.unreported', null),
      ]),
    );
    expect(contentType).toContain('text/plain');
    // the backup series (the cluster's moe_cluster_* gauges follow them in the same answer)
    const lines = body.split('\n').filter((l) => /^moe_(backup|restore)_/.test(l));
    expect(lines.sort()).toEqual(
      [
        'moe_backup_last_success_timestamp_seconds{org="acme",ws="main"} 40',
        'moe_backup_age_seconds{org="acme",ws="main"} 30',
        'moe_backup_last_verify_timestamp_seconds{org="acme",ws="main"} 80',
        'moe_backup_last_verify_ok{org="acme",ws="main"} 0',
        'moe_backup_mirror_pending_objects{org="acme",ws="main",copy="mirror"} 3',
        'moe_backup_mirror_pending_objects{org="acme",ws="main",copy="primary"} 0',
        'moe_backup_mirror_lag_seconds{org="acme",ws="main"} 5',
        'moe_restore_duration_seconds{org="acme",ws="main",phase="serve"} 1.25',
        'moe_backup_last_failure_timestamp_seconds{org="acme",ws="fresh"} 90',
        'moe_backup_mirror_pending_objects{org="acme",ws="fresh",copy="mirror"} 0',
        'moe_backup_mirror_pending_objects{org="acme",ws="fresh",copy="primary"} 0',
        'moe_backup_mirror_lag_seconds{org="acme",ws="fresh"} 0',
      ].sort(),
    );
    expect(body).toContain('# TYPE moe_backup_age_seconds gauge');
  });
});
