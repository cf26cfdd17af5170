/**
 * Leader election among supervisors by compare-and-set on one key of KV `moe_nodes`
 * ({@link LEADER_KEY}, value `{id, until}`). The leader renews it every lease/3; a follower takes
 * it over once `until` has passed (or the key is gone), with the revision it read, so two
 * followers cannot both win. A leader that cannot renew before its own `until` steps down.
 * Stopping deletes the key (CAS), so another supervisor takes over on its next try.
 */
import type { KV } from '@nats-io/kv';
import { SUPERVISOR_KEY_PREFIX } from './membership.js';

export const LEADER_KEY = `${SUPERVISOR_KEY_PREFIX}leader`;

export interface LeaderRecord {
  readonly id: string;
  readonly until: number;
}

export class Leadership {
  private revision: number | null = null;
  private until = 0;
  private current: LeaderRecord | null = null;

  constructor(
    private readonly kv: KV,
    readonly id: string,
    readonly leaseMs: number,
    private readonly now: () => number,
  ) {}

  /** true while this supervisor holds an unexpired leadership it wrote itself */
  get isLeader(): boolean {
    return this.revision !== null && this.now() < this.until;
  }

  /** the leader record last read or written (may be another supervisor's) */
  get leader(): LeaderRecord | null {
    return this.current;
  }

  /** One election round: renew, take over, or stay follower. Returns whether we lead now. */
  async tick(): Promise<boolean> {
    try {
      const entry = await this.kv.get(LEADER_KEY);
      const now = this.now();
      const held = entry && entry.operation === 'PUT' ? entry.json<LeaderRecord>() : null;
      if (held && held.id !== this.id && held.until > now) {
        this.current = held;
        this.revision = null;
        return false;
      }
      const next: LeaderRecord = { id: this.id, until: now + this.leaseMs };
      const value = JSON.stringify(next);
      const rev = entry
        ? await this.kv.update(LEADER_KEY, value, entry.revision)
        : await this.kv.create(LEADER_KEY, value);
      this.revision = rev;
      this.until = next.until;
      this.current = next;
      return true;
    } catch {
      // Lost a race or NATS is unreachable: lead only while our last write is unexpired.
      if (!this.isLeader) this.revision = null;
      return this.isLeader;
    }
  }

  /** Gives leadership up (CAS delete of our own record). */
  async resign(): Promise<void> {
    const rev = this.revision;
    this.revision = null;
    this.until = 0;
    if (rev !== null) await this.kv.delete(LEADER_KEY, { previousSeq: rev }).catch(() => undefined);
  }
}
