/**
 * Rebalance: the supervisor leader evens out how many workspaces each live node hosts, so a node
 * that joins (or comes back from a drain or a restart) gets its share. The bound: every node ends
 * within one of every other (max − min ≤ 1, i.e. each holds ⌊total/nodes⌋ or ⌈total/nodes⌉).
 *
 * No thrash:
 *   - hysteresis: nothing moves while max − min ≤ 1, and each move goes from a node with the most
 *     to one with the fewest, so every move shrinks the spread and moves cannot cycle;
 *   - it waits for a calm cluster: no draining node, no dead node still holding leases, no move
 *     of its own still under way, and every live node seen for at least `settleMs`;
 *   - at most `maxMoves` hand-overs per round (one round every `intervalMs`);
 *   - a workspace moved is not moved again within `cooldownMs`.
 * A move is a request to the overloaded node (`moe.ctl.node.<id>.release`, schemas/nodeControl.ts):
 * it hands the workspace over the way a drain does, with the lease reserved for the target.
 *
 *   MOE_REBALANCE            on      off: never move workspaces
 *   MOE_REBALANCE_INTERVAL_MS 5000   one round at most this often
 *   MOE_REBALANCE_MAX_MOVES   2      hand-overs started per round
 *   MOE_REBALANCE_COOLDOWN_MS 60000  a moved workspace stays put this long
 *   MOE_REBALANCE_SETTLE_MS   5000   a node must be live this long before it receives workspaces
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { nodeControlSubject, TENANCY_WS } from '../schemas/index.js';
import { errors } from './errors.js';
import type { KvMirror } from './kvMirror.js';
import type { Membership } from './membership.js';
import { parseLease } from './repair.js';

export interface RebalanceConfig {
  readonly enabled: boolean;
  readonly intervalMs: number;
  readonly maxMoves: number;
  readonly cooldownMs: number;
  readonly settleMs: number;
}

function int(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min)
    throw errors.OPTIONS(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return n;
}

export function rebalanceConfigFromEnv(env: NodeJS.ProcessEnv = process.env): RebalanceConfig {
  const flag = env.MOE_REBALANCE?.trim().toLowerCase();
  return {
    enabled: !(flag === 'off' || flag === '0' || flag === 'false'),
    intervalMs: int('MOE_REBALANCE_INTERVAL_MS', env.MOE_REBALANCE_INTERVAL_MS, 5_000, 1),
    maxMoves: int('MOE_REBALANCE_MAX_MOVES', env.MOE_REBALANCE_MAX_MOVES, 2, 1),
    cooldownMs: int('MOE_REBALANCE_COOLDOWN_MS', env.MOE_REBALANCE_COOLDOWN_MS, 60_000, 0),
    settleMs: int('MOE_REBALANCE_SETTLE_MS', env.MOE_REBALANCE_SETTLE_MS, 5_000, 0),
  };
}

export interface Move {
  readonly workspace: string;
  readonly from: string;
  readonly to: string;
}

/**
 * The moves of one round (pure): from the node with the most workspaces to the one with the
 * fewest while they differ by two or more, skipping workspaces in `cooling`, at most `maxMoves`.
 * `placed`: node → the workspaces it holds; every live node that may receive is a key.
 */
export function planMoves(
  placed: ReadonlyMap<string, readonly string[]>,
  cooling: ReadonlySet<string>,
  maxMoves: number,
): Move[] {
  const held = new Map([...placed].map(([n, ws]) => [n, [...ws].sort()]));
  const moves: Move[] = [];
  while (moves.length < maxMoves) {
    const order = [...held].sort((x, y) => x[1].length - y[1].length || x[0].localeCompare(y[0]));
    const [to, fewest] = order[0] ?? [];
    if (to === undefined || fewest === undefined) break;
    let moved = false;
    // the most loaded first; a node whose every workspace is cooling is passed over
    for (const [from, ws] of order.reverse()) {
      if (ws.length - fewest.length < 2) break;
      const pick = ws.find((w) => !cooling.has(w));
      if (pick === undefined) continue;
      ws.splice(ws.indexOf(pick), 1);
      fewest.push(pick);
      moves.push({ workspace: pick, from, to });
      moved = true;
      break;
    }
    if (!moved) break;
  }
  return moves;
}

/** Max − min of the workspaces per node (0 or 1: within the bound). */
export function spread(placed: ReadonlyMap<string, readonly string[]>): number {
  const counts = [...placed.values()].map((w) => w.length);
  return counts.length === 0 ? 0 : Math.max(...counts) - Math.min(...counts);
}

export class Rebalancer {
  private lastRound = 0;
  private readonly firstSeen = new Map<string, number>();
  /** workspace → when it was last moved */
  private readonly movedAt = new Map<string, number>();
  /** moves asked for and not yet seen in the placement bucket */
  private inFlight: Array<Move & { at: number }> = [];
  /** hand-overs requested so far */
  moves = 0;

  constructor(
    private readonly o: {
      nc: NatsConnection;
      placement: KvMirror;
      membership: Membership;
      config: RebalanceConfig;
      log: Logger;
    },
  ) {}

  /** One round (called on every leader tick; acts at most every intervalMs). */
  async tick(now: number): Promise<Move[]> {
    const c = this.o.config;
    if (!c.enabled || now - this.lastRound < c.intervalMs) return [];
    this.lastRound = now;
    const nodes = this.o.membership.nodes();
    for (const n of nodes) {
      if (!n.live) this.firstSeen.delete(n.id);
      else if (!this.firstSeen.has(n.id)) this.firstSeen.set(n.id, now);
    }
    const live = nodes.filter((n) => n.live);
    if (live.length < 2) return [];
    if (live.some((n) => n.draining || now - (this.firstSeen.get(n.id) ?? now) < c.settleMs)) return [];
    const placed = new Map<string, string[]>(live.map((n) => [n.id, []]));
    const holder = new Map<string, string>();
    for (const e of this.o.placement.values()) {
      const lease = parseLease(e.value);
      if (!lease || lease.until <= now) continue;
      const ws = placed.get(lease.node);
      // held by a dead node: the repair releases it first
      if (!ws) return [];
      holder.set(e.key, lease.node);
      if (!e.key.endsWith(`.${TENANCY_WS}`)) ws.push(e.key);
    }
    // a move is done when its target holds the lease; given up after the cooldown
    this.inFlight = this.inFlight.filter(
      (m) => holder.get(m.workspace) !== m.to && now - m.at < c.cooldownMs,
    );
    if (this.inFlight.length > 0) return [];
    const cooling = new Set([...this.movedAt].filter(([, at]) => now - at < c.cooldownMs).map(([w]) => w));
    const moves = planMoves(placed, cooling, c.maxMoves);
    for (const m of moves) {
      this.movedAt.set(m.workspace, now);
      this.inFlight.push({ ...m, at: now });
      this.moves++;
      this.o.log.info(m, 'rebalance: moving a workspace');
      await this.o.nc
        .request(
          nodeControlSubject(m.from, 'release'),
          JSON.stringify({ workspaces: [m.workspace], to: m.to }),
          {
            timeout: 2_000,
          },
        )
        .catch((err: unknown) => this.o.log.warn({ err, ...m }, 'rebalance: the node did not answer'));
    }
    return moves;
  }
}
