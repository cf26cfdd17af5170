/**
 * Placement repair: a workspace whose lease (KV `moe_placement`, `{node, epoch, until}`) is held
 * by a dead node gets that lease expired by the leader — rewritten with `until: 0`, same node and
 * epoch, compare-and-set on the revision the supervisor saw. A live node that renewed in between
 * wins the race (the write fails); a node waiting for the workspace takes it on its next heartbeat
 * (epoch + 1) instead of waiting for the lease to run out. Nothing is journaled: each release is
 * logged and counted.
 */
import type { KV } from '@nats-io/kv';
import type { Logger } from 'pino';
import type { KvMirror } from './kvMirror.js';
import type { Membership } from './membership.js';

export interface LeaseView {
  readonly node: string;
  readonly epoch: number;
  readonly until: number;
}

export function parseLease(value: unknown): LeaseView | null {
  if (!value || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  if (typeof v.node !== 'string' || typeof v.epoch !== 'number' || typeof v.until !== 'number') return null;
  return { node: v.node, epoch: v.epoch, until: v.until };
}

export interface Release {
  readonly workspace: string;
  readonly node: string;
  readonly epoch: number;
}

/** Expires every unexpired lease held by a dead node; returns the ones released now. */
export async function releaseDeadLeases(o: {
  kv: KV;
  placement: KvMirror;
  membership: Membership;
  now: number;
  log: Logger;
}): Promise<Release[]> {
  const released: Release[] = [];
  const live = new Set(o.membership.live()); // once per round, not per lease
  for (const e of o.placement.values()) {
    const lease = parseLease(e.value);
    if (!lease || lease.until <= o.now || live.has(lease.node)) continue;
    const expired: LeaseView = { ...lease, until: 0 };
    try {
      await o.kv.update(e.key, JSON.stringify(expired), e.revision);
    } catch (err) {
      o.log.debug({ err, workspace: e.key }, 'lease changed before release; left alone');
      continue;
    }
    o.log.warn(
      { workspace: e.key, node: lease.node, epoch: lease.epoch },
      'released the placement lease of a dead node',
    );
    released.push({ workspace: e.key, node: lease.node, epoch: lease.epoch });
  }
  return released;
}
