/**
 * The workspace registry in KV (schemas/workspaceRegistry.ts): what discovery reads at start
 * instead of every actor subject of MOE_CMD, and the discovery mark that says how far the
 * registry is complete.
 *
 * The invariant: every command in MOE_CMD at or below the mark has its workspace in the registry
 * (or the workspace was deleted). It holds because a node advances the mark only past commands
 * it has read in stream order and whose workspaces it has registered (awaited) first, and the
 * mark only ever grows (compare-and-set, kvCas.ts). So a starting node that reads the mark first,
 * then the registry, then the commands after the mark, misses no workspace — also one whose only
 * command was published while no node ran.
 */
import type { KV } from '@nats-io/kv';
import { kvCas, lostRace } from '../actors/kernel/index.js';
import { DISCOVERY_MARK_KEY, registryKey, type WorkspaceRegistration } from '../schemas/index.js';

export class WorkspaceRegistry {
  constructor(
    /** `moe_workspaces` */
    readonly kv: KV,
    /** `moe_discovery` */
    private readonly markKv: KV,
  ) {}

  /**
   * Adds the workspace if it is not there (an existing entry is kept as is). True when this call
   * added it.
   */
  async register(reg: WorkspaceRegistration): Promise<boolean> {
    try {
      await this.kv.create(registryKey(reg.org, reg.ws), JSON.stringify(reg));
      return true;
    } catch (err) {
      if (lostRace(err)) return false; // registered already
      throw err;
    }
  }

  /** Takes a deleted workspace out of the registry (idempotent). */
  async remove(org: string, ws: string): Promise<void> {
    await this.kv.purge(registryKey(org, ws));
  }

  /** The discovery mark: every command at or below this MOE_CMD sequence has its workspace registered. */
  async mark(): Promise<number> {
    const e = await this.markKv.get(DISCOVERY_MARK_KEY);
    if (!e || e.operation !== 'PUT') return 0;
    const v = e.json<unknown>();
    return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : 0;
  }

  /** Raises the mark to `seq` (never lowers it); returns the mark now stored. */
  advanceMark(seq: number): Promise<number> {
    return kvCas<number>(this.markKv, DISCOVERY_MARK_KEY, (cur) =>
      cur !== undefined && cur >= seq ? cur : seq,
    );
  }

  /** Sets the mark back to `seq` (a MOE_CMD stream recreated under it, whose sequences start over). */
  async resetMark(seq: number): Promise<void> {
    await this.markKv.put(DISCOVERY_MARK_KEY, JSON.stringify(seq));
  }
}
