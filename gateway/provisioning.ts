/**
 * Where each workspace's provisioning stands, as the gateway shows it (issue 8 item 8, seed 000
 * flow 1). Creating a workspace sends its backup actor `backup.request {reason: 'provision',
 * force: true}` (routes/workspaces.ts): a workspace-node discovers the command, takes the
 * workspace's lease, creates its directories, databases and consumer, and the backup actor writes
 * and verifies the first backup. Provisioning is asynchronous, so the API says where it stands:
 *
 *   provisioning ──backup.completed (any reason)──▶ provisioned  (firstBackupId, lastBackupId)
 *        └──────backup.failed (reason provision)──▶ failed       (code, message; a later backup
 *                                                                  that completes still provisions)
 *
 * Folded from the backup actors' journal (`moe.evt.*.*.backup.workspace`) from the start, like the
 * other projections, so a restarted gateway knows it again. A `backup.skipped` that names a backup
 * (the schedule found nothing new) also means a backup exists. A journal purged below the first
 * backup (issue 8 item 7) still shows `provisioned` once a later backup or skip is journaled.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import type { FastifyBaseLogger } from 'fastify';
import { BACKUP_ACTOR_ID } from '../actors/index.js';
import { ofType, validEvents, type JournalRecord } from '../schemas/index.js';
import { followJournal, type JournalFollower } from './journalFollower.js';

export type ProvisioningState = 'provisioning' | 'provisioned' | 'failed';

export interface Provisioning {
  state: ProvisioningState;
  /** the first backup this gateway saw completed (the provisioning one, unless purged since) */
  firstBackupId: string | null;
  lastBackupId: string | null;
  /** time of the turn that recorded the last backup (ms) */
  lastBackupAt: number | null;
  /** why provisioning failed, while state is `failed` */
  error: { code: string; message: string } | null;
}

const PENDING: Readonly<Provisioning> = Object.freeze({
  state: 'provisioning',
  firstBackupId: null,
  lastBackupId: null,
  lastBackupAt: null,
  error: null,
});

export class ProvisioningProjection {
  /** `<org>.<ws>` → where it stands */
  private readonly byWorkspace = new Map<string, Provisioning>();
  private follower: JournalFollower | null = null;

  constructor(
    private readonly js: JetStreamClient,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** The workspace's provisioning (`provisioning` when nothing is journaled for it yet). */
  of(org: string, ws: string): Provisioning {
    return { ...(this.byWorkspace.get(`${org}.${ws}`) ?? PENDING) };
  }

  async start(maxWaitMs = 10_000): Promise<void> {
    this.follower ??= followJournal(
      this.js,
      `moe.evt.*.*.backup.${BACKUP_ACTOR_ID}`,
      (_seq, rec) => this.apply(rec),
      this.log,
    );
    await this.follower.started(maxWaitMs);
  }

  async stop(): Promise<void> {
    await this.follower?.stop();
  }

  /** Applies one backup-actor turn (a pure fold; exported for tests). */
  apply(rec: JournalRecord): void {
    const key = `${rec.actor.org}.${rec.actor.ws}`;
    for (const e of validEvents(rec.events).filter(
      ofType('backup.completed', 'backup.skipped', 'backup.failed'),
    )) {
      const p = this.byWorkspace.get(key) ?? { ...PENDING };
      if (e.type === 'backup.failed') {
        if (p.state !== 'provisioned' && e.reason === 'provision')
          Object.assign(p, { state: 'failed', error: { code: e.code, message: e.message } });
      } else if (e.backupId !== null) {
        Object.assign(p, {
          state: 'provisioned',
          firstBackupId: p.firstBackupId ?? e.backupId,
          lastBackupId: e.backupId,
          lastBackupAt: rec.cmd.at,
          error: null,
        });
      }
      this.byWorkspace.set(key, p);
    }
  }
}
