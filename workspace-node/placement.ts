/**
 * Placement leases in JetStream KV: which node hosts a workspace. A lease names the node, an
 * epoch (bumped on every takeover) and an expiry; it is taken and renewed with compare-and-set on
 * the key's revision, so two nodes cannot both win the same takeover.
 *
 * A graceful hand-over (drain.ts) releases a lease; a rebalance releases it *for* a node: the lease
 * is kept with `until: 0` and `next` names the node that may take it until `nextUntil` (others
 * leave it alone until then), so the workspace goes where the supervisor placed it.
 *
 * A lease is an optimisation for "one writer at a time", not the safety net: if two nodes ever
 * both act as owner (a paused process, a partition), the journal's expected-sequence fence still
 * lets only one of them append each turn.
 */
import type { KV } from '@nats-io/kv';
import { placementKey } from '../schemas/index.js';
import type { Clock } from '../actors/kernel/index.js';

export interface Lease {
  readonly node: string;
  readonly epoch: number;
  readonly until: number;
  /** a released lease reserved for this node (rebalance) … */
  readonly next?: string;
  /** … until then (epoch ms) */
  readonly nextUntil?: number;
}

/** How long a lease released for a named node stays reserved for it (ms). */
export const HANDOVER_RESERVE_MS = 10_000;

export class PlacementLeases {
  private readonly revisions = new Map<string, number>();

  constructor(
    private readonly kv: KV,
    readonly nodeId: string,
    readonly leaseMs: number,
    private readonly clock: Clock,
  ) {}

  /** Takes the lease if it is free, expired or already ours; returns it, or null when held elsewhere. */
  async acquire(org: string, ws: string): Promise<Lease | null> {
    const key = placementKey(org, ws);
    const entry = await this.kv.get(key);
    const now = this.clock.now();
    if (!entry || entry.operation !== 'PUT') {
      const lease: Lease = { node: this.nodeId, epoch: 1, until: now + this.leaseMs };
      try {
        const rev = entry
          ? await this.kv.update(key, JSON.stringify(lease), entry.revision)
          : await this.kv.create(key, JSON.stringify(lease));
        this.revisions.set(key, rev);
        return lease;
      } catch {
        return null; // lost the race
      }
    }
    const current = entry.json<Lease>();
    if (current.node !== this.nodeId && current.until > now) return null;
    if (current.next !== undefined && current.next !== this.nodeId && (current.nextUntil ?? 0) > now)
      return null;
    const lease: Lease = {
      node: this.nodeId,
      epoch: current.node === this.nodeId ? current.epoch : current.epoch + 1,
      until: now + this.leaseMs,
    };
    try {
      this.revisions.set(key, await this.kv.update(key, JSON.stringify(lease), entry.revision));
      return lease;
    } catch {
      return null;
    }
  }

  /**
   * Extends our lease. `lost` when another node holds it now (stop hosting the workspace); throws
   * when KV cannot be reached — then nobody can take the lease either, so keep hosting and retry.
   */
  async renew(org: string, ws: string): Promise<'renewed' | 'lost'> {
    const key = placementKey(org, ws);
    const rev = this.revisions.get(key);
    const entry = await this.kv.get(key);
    // released meanwhile (a hand-over): never renewed again
    if (rev === undefined || !this.revisions.has(key) || !entry || entry.operation !== 'PUT') return 'lost';
    const current = entry.json<Lease>();
    if (current.node !== this.nodeId) return 'lost';
    const next: Lease = { ...current, until: this.clock.now() + this.leaseMs };
    try {
      this.revisions.set(key, await this.kv.update(key, JSON.stringify(next), entry.revision));
      return 'renewed';
    } catch (err) {
      const now = await this.kv.get(key);
      if (now && now.operation === 'PUT' && now.json<Lease>().node !== this.nodeId) return 'lost';
      throw err;
    }
  }

  /**
   * Gives the lease up; with `to`, reserved for that node for {@link HANDOVER_RESERVE_MS}. A renewal
   * racing with it never revives the lease (renew finds no revision here and reports it lost).
   */
  async release(org: string, ws: string, to?: string): Promise<void> {
    const key = placementKey(org, ws);
    if (!this.revisions.has(key)) return;
    this.revisions.delete(key);
    for (let attempt = 0; attempt < 3; attempt++) {
      const entry = await this.kv.get(key).catch(() => null);
      if (!entry || entry.operation !== 'PUT' || entry.json<Lease>().node !== this.nodeId) break;
      try {
        if (to === undefined || to === this.nodeId)
          await this.kv.delete(key, { previousSeq: entry.revision });
        else {
          const released: Lease = {
            ...entry.json<Lease>(),
            until: 0,
            next: to,
            nextUntil: this.clock.now() + HANDOVER_RESERVE_MS,
          };
          await this.kv.update(key, JSON.stringify(released), entry.revision);
        }
        break;
      } catch {
        // a renewal landed in between: read it again and release that
      }
    }
    this.revisions.delete(key);
  }

  async holder(org: string, ws: string): Promise<Lease | null> {
    const entry = await this.kv.get(placementKey(org, ws));
    return entry && entry.operation === 'PUT' ? entry.json<Lease>() : null;
  }
}
