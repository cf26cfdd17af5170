/**
 * The gateway's provisioning state is a pure fold over the backup actors' turns: `provisioning`
 * until a backup completes, `failed` when the provisioning backup gives up, `provisioned` once any
 * backup completes (or a skip names one), per workspace.
 */
import { describe, expect, it } from 'vitest';
import type { FastifyBaseLogger } from 'fastify';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { JournalRecord } from '../../schemas/index.js';
import { ProvisioningProjection } from '../../gateway/provisioning.js';

let turn = 0;
function rec(ws: string, events: JournalRecord['events']): JournalRecord {
  turn += 1;
  return {
    actor: { org: 'o1', ws, kind: 'backup', id: 'workspace' },
    turn,
    session: 'workspace',
    cmd: { id: `c${turn}`, type: 'effect.result', at: 1000 + turn },
    state: 'idle',
    status: 'active',
    events,
    effects: [],
    cancels: [],
  };
}
const completed = (backupId: string, reason = 'provision') => ({
  type: 'backup.completed',
  reason,
  backupId,
  journalSeq: 3,
  objects: 7,
  bytes: 900,
  uploaded: 7,
  attempts: 1,
});
const failed = {
  type: 'backup.failed',
  reason: 'provision',
  code: 'MOE_ERR_STORAGE',
  message: 'down',
  attempts: 3,
};
const projection = () =>
  new ProvisioningProjection({} as JetStreamClient, { warn: () => {} } as unknown as FastifyBaseLogger);

describe('the provisioning projection', () => {
  it('is provisioning until a backup completes, then provisioned with the first and last backup', () => {
    const p = projection();
    expect(p.of('o1', 'w1').state).toBe('provisioning');
    p.apply(rec('w1', [{ type: 'backup.started', reason: 'provision', attempt: 1 }]));
    expect(p.of('o1', 'w1').state).toBe('provisioning');
    p.apply(rec('w1', [completed('b1')]));
    p.apply(rec('w1', [completed('b2', 'manual')]));
    expect(p.of('o1', 'w1')).toMatchObject({ state: 'provisioned', firstBackupId: 'b1', lastBackupId: 'b2' });
    expect(p.of('o1', 'w2').state).toBe('provisioning');
  });

  it('a provisioning backup that gives up is failed, with its code, until a later backup completes', () => {
    const p = projection();
    p.apply(rec('w3', [failed]));
    expect(p.of('o1', 'w3')).toMatchObject({
      state: 'failed',
      error: { code: 'MOE_ERR_STORAGE', message: 'down' },
    });
    p.apply(rec('w3', [completed('b3', 'manual')]));
    expect(p.of('o1', 'w3')).toMatchObject({ state: 'provisioned', firstBackupId: 'b3', error: null });
    // a later failure does not undo it
    p.apply(rec('w3', [failed]));
    expect(p.of('o1', 'w3').state).toBe('provisioned');
  });

  it('a skip that names a backup means one exists (its completion purged from the journal)', () => {
    const p = projection();
    p.apply(rec('w4', [{ type: 'backup.skipped', reason: 'schedule', journalSeq: 9, backupId: 'b0' }]));
    expect(p.of('o1', 'w4')).toMatchObject({ state: 'provisioned', lastBackupId: 'b0' });
    const q = projection();
    q.apply(rec('w5', [{ type: 'backup.skipped', reason: 'schedule', journalSeq: 9, backupId: null }]));
    expect(q.of('o1', 'w5').state).toBe('provisioning');
  });
});
