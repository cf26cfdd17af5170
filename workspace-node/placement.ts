/**
 * Placement leases in JetStream KV: which node hosts a workspace. A lease names the node, an
 * epoch (bumped on every takeover) and an expiry; it is taken and renewed with compare-and-set on
 * the key's revision, so two nodes cannot both win the same takeover.
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
}

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
    if (rev === undefined || !entry || entry.operation !== 'PUT') return 'lost';
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

  async release(org: string, ws: string): Promise<void> {
    const key = placementKey(org, ws);
    const rev = this.revisions.get(key);
    this.revisions.delete(key);
    if (rev === undefined) return;
    await this.kv.delete(key, { previousSeq: rev }).catch(() => undefined);
  }

  async holder(org: string, ws: string): Promise<Lease | null> {
    const entry = await this.kv.get(placementKey(org, ws));
    return entry && entry.operation === 'PUT' ? entry.json<Lease>() : null;
  }
}
