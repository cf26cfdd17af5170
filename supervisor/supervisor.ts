/**
 * The supervisor process: mirrors `moe_nodes` and `moe_placement` (KV watches), takes part in the
 * leader election, and — while leader — releases the placement leases of dead nodes every
 * `intervalMs`, and evens out the workspaces per node (rebalance.ts). Every supervisor (leader or not) serves the dashboard and `/api/status`.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { hostname } from 'node:os';
import { pino, type Logger } from 'pino';
import { ensureStreams, natsAuthOptions, natsServers, watchNatsStatus } from '../actors/kernel/index.js';
import { createSupervisorMetrics } from './processMetrics.js';
import { ActorSupervision } from './actorSupervision.js';
import { kvRestartHistory } from './restartHistory.js';
import { kvStoppedActors } from './stoppedActorStore.js';
import { restartPoliciesFromEnv, type RestartPolicies } from './restartPolicy.js';
import { KV_BUCKETS, NODE_HEARTBEAT_MS } from '../schemas/index.js';
import { buildDashboard } from './dashboard.js';
import { errors } from './errors.js';
import { KvMirror } from './kvMirror.js';
import { Leadership } from './leadership.js';
import { Membership } from './membership.js';
import { releaseDeadLeases, type Release } from './repair.js';
import { Rebalancer, rebalanceConfigFromEnv, type RebalanceConfig } from './rebalance.js';
import { operatorTokenFrom } from './operatorAccess.js';
import { collectStatus, DEFAULT_DEAD_NODE_TTL_MS, type SupervisorStatus } from './status.js';

/**
 * A node is dead after this long without a heartbeat: 4 heartbeat intervals (1 s). Override with
 * `staleMs` or `MOE_NODE_STALE_MS`; keep it several beats, and the machines' clocks within a
 * fraction of it (ages compare the supervisor's clock with the node's `at`).
 */
export const DEFAULT_STALE_MS = 4 * NODE_HEARTBEAT_MS;
/** How often the leader checks membership and releases dead nodes' leases (`MOE_SUPERVISOR_INTERVAL_MS`). */
export const DEFAULT_SUPERVISOR_INTERVAL_MS = 100;
/** Election rounds at most this often (and every leader lease / 3 at the latest). */
const ELECTION_EVERY_MS = 1000;
export const DEFAULT_SUPERVISOR_PORT = 8090;
export const DEFAULT_LEADER_LEASE_MS = 10_000;

export interface SupervisorOptions {
  /** an existing connection (shared, never closed) … */
  readonly nc?: NatsConnection;
  /** … or a URL to connect to (default $NATS_URL, else nats://127.0.0.1:4222) */
  readonly natsUrl?: string;
  /** name in the leader record (default `supervisor-<hostname>-<pid>`) */
  readonly id?: string;
  /** dashboard port (default 8090; 0 picks a free one; null: no HTTP server) */
  readonly port?: number | null;
  /** dashboard host (default 127.0.0.1) */
  readonly host?: string;
  /** heartbeat age after which a node is dead (default $MOE_NODE_STALE_MS, else {@link DEFAULT_STALE_MS}) */
  readonly staleMs?: number;
  /** how long a dead node stays listed (default $MOE_DEAD_NODE_TTL_MS, else 60 s) */
  readonly deadNodeTtlMs?: number;
  /** the token the dashboard and `/api/status` require (default $MOE_OPERATOR_TOKEN; unset: loopback only) */
  readonly operatorToken?: string;
  /** how long a leader record lasts without renewal (default 10 s; renewed every third) */
  readonly leaderLeaseMs?: number;
  /** how often membership is checked and leases repaired (default $MOE_SUPERVISOR_INTERVAL_MS, else 100 ms) */
  readonly intervalMs?: number;
  /** time source for heartbeat ages and leases (tests) */
  readonly clock?: { now(): number };
  readonly logger?: Logger;
  /** JetStream replicas when the supervisor creates the streams (default $MOE_REPLICAS or 1) */
  readonly replicas?: number;
  /** rebalance settings over the environment's (MOE_REBALANCE_*, rebalance.ts) */
  readonly rebalance?: Partial<RebalanceConfig>;
  /** restart policies by actor kind (default $MOE_RESTART_POLICIES; restartPolicy.ts) */
  readonly restartPolicies?: RestartPolicies;
  /** escalations are POSTed here (default $MOE_ESCALATION_WEBHOOK_URL) */
  readonly escalationWebhookUrl?: string;
}

export interface Supervisor {
  readonly id: string;
  /** the dashboard URL, e.g. http://127.0.0.1:8090 (null without HTTP) */
  readonly url: string | null;
  readonly isLeader: boolean;
  /** leases released so far by this supervisor */
  readonly leasesReleased: number;
  /** workspace hand-overs this supervisor asked for to rebalance */
  readonly rebalanceMoves: number;
  status(): Promise<SupervisorStatus>;
  /** what the restart policies decided so far (actorSupervision.ts) */
  readonly supervision: Pick<ActorSupervision, 'decisions'>;
  /** one membership/election/repair round now (the loop runs it every intervalMs) */
  tick(): Promise<readonly Release[]>;
  stop(): Promise<void>;
}

function positive(name: string, v: number | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!Number.isFinite(v) || v <= 0) throw errors.OPTIONS(`${name} must be a positive number, got ${v}`);
  return v;
}

/** A duration from the environment (validated by {@link positive}); undefined when unset. */
function envMs(name: string): number | undefined {
  const raw = process.env[name]?.trim();
  return raw ? Number(raw) : undefined;
}

export async function startSupervisor(o: SupervisorOptions = {}): Promise<Supervisor> {
  const staleMs = positive('staleMs', o.staleMs ?? envMs('MOE_NODE_STALE_MS'), DEFAULT_STALE_MS);
  const deadNodeTtlMs = positive(
    'deadNodeTtlMs',
    o.deadNodeTtlMs ?? envMs('MOE_DEAD_NODE_TTL_MS'),
    DEFAULT_DEAD_NODE_TTL_MS,
  );
  const leaderLeaseMs = positive('leaderLeaseMs', o.leaderLeaseMs, DEFAULT_LEADER_LEASE_MS);
  const intervalMs = positive(
    'intervalMs',
    o.intervalMs ?? envMs('MOE_SUPERVISOR_INTERVAL_MS'),
    DEFAULT_SUPERVISOR_INTERVAL_MS,
  );
  const id = o.id ?? `supervisor-${hostname()}-${process.pid}`;
  const restartPolicies = o.restartPolicies ?? restartPoliciesFromEnv(process.env);
  const now = o.clock ? () => o.clock!.now() : () => Date.now();
  const log = o.logger ?? pino({ level: process.env.MOE_LOG_LEVEL ?? 'info' });
  const nc =
    o.nc ??
    (await connect({
      servers: natsServers(o.natsUrl ?? process.env.NATS_URL ?? 'nats://127.0.0.1:4222'),
      maxReconnectAttempts: -1,
      name: id,
      noAsyncTraces: true,
      ...natsAuthOptions(),
    }));
  const jsm = await jetstreamManager(nc);
  await ensureStreams(nc, jsm, { replicas: o.replicas ?? Number(process.env.MOE_REPLICAS ?? 1) });
  const kvm = new Kvm(nc);
  const nodesKv = await kvm.open(KV_BUCKETS.nodes);
  const placementKv = await kvm.open(KV_BUCKETS.placement);
  const nodes = new KvMirror(nodesKv);
  const placement = new KvMirror(placementKv);
  await Promise.all([nodes.start(), placement.start()]);
  const membership = new Membership(nodes, staleMs, now);
  const leadership = new Leadership(nodesKv, id, leaderLeaseMs, now);
  const rebalancer = new Rebalancer({
    nc,
    placement,
    membership,
    config: { ...rebalanceConfigFromEnv(process.env), ...o.rebalance },
    log,
  });
  let released = 0;
  let wasLeader = false;
  let stopped = false;

  // Election rounds (a KV write each) need not run as often as repair rounds (memory only, until
  // a lease is released): at most every second, and every leaderLeaseMs/3 at the latest.
  const electionEveryMs = Math.min(ELECTION_EVERY_MS, Math.floor(leaderLeaseMs / 3));
  let lastElection = -Infinity;
  const tick = async (election = true): Promise<readonly Release[]> => {
    if (election || Date.now() - lastElection >= electionEveryMs) {
      lastElection = Date.now();
      const leading = await leadership.tick();
      if (leading !== wasLeader) log.info({ supervisor: id }, leading ? 'became leader' : 'no longer leader');
      wasLeader = leading;
    }
    if (!leadership.isLeader || stopped) return [];
    const r = await releaseDeadLeases({ kv: placementKv, placement, membership, now: now(), log });
    released += r.length;
    if (r.length === 0) await rebalancer.tick(now());
    return r;
  };
  let running: Promise<unknown> = tick();
  await running;
  let busy = false;
  // Elections run every second (leaderLeaseMs/3 at the latest), repair every intervalMs; a slow
  // round is not queued up behind (the next one is skipped).
  const timer = setInterval(
    () => {
      if (busy) return;
      busy = true;
      running = running
        .then(() => tick(false))
        .catch((err: unknown) => log.error({ err }, 'supervisor round failed'))
        .finally(() => (busy = false));
    },
    Math.min(intervalMs, Math.floor(leaderLeaseMs / 3)),
  );
  timer.unref();

  const status = () =>
    collectStatus({
      jsm,
      membership,
      placement,
      self: { id, leader: leadership.isLeader, leaderRecord: leadership.leader, leasesReleased: released },
      staleMs,
      deadNodeTtlMs,
      now,
    });
  const natsStatus = watchNatsStatus(nc);
  const ready = () => {
    const checks = { nats: natsStatus.up, running: !stopped };
    return { ready: checks.nats && checks.running, checks };
  };
  const metrics = createSupervisorMetrics({
    leader: () => leadership.isLeader,
    natsUp: () => natsStatus.up,
    ready: () => ready().ready,
    leasesReleased: () => released,
    rebalanceMoves: () => rebalancer.moves,
  });
  // Restart policies: the leader follows MOE_DLQ and restarts, stops or escalates (actorSupervision.ts).
  const supervision = new ActorSupervision({
    nc,
    js: jetstream(nc),
    policies: restartPolicies,
    history: kvRestartHistory(nodesKv),
    stopped: kvStoppedActors(await kvm.open(KV_BUCKETS.stoppedActors)),
    decidedBy: id,
    isLeader: () => leadership.isLeader && !stopped,
    now,
    log,
    metrics,
    ...(o.escalationWebhookUrl !== undefined ? { webhookUrl: o.escalationWebhookUrl } : {}),
  });
  await supervision.start();
  const app =
    o.port === null
      ? null
      : buildDashboard({
          status,
          health: () => ({ ok: !nc.isClosed(), leader: leadership.isLeader, id }),
          ready,
          metrics: metrics.registry,
          operatorToken: operatorTokenFrom(o.operatorToken),
        });
  let url: string | null = null;
  try {
    if (app) url = await app.listen({ port: o.port ?? DEFAULT_SUPERVISOR_PORT, host: o.host ?? '127.0.0.1' });
  } catch (err) {
    clearInterval(timer);
    await supervision.stop();
    await running.catch(() => undefined);
    await leadership.resign();
    await Promise.all([nodes.stop(), placement.stop()]);
    if (!o.nc) await nc.drain().catch(() => undefined);
    throw err;
  }
  log.info({ supervisor: id, url, staleMs }, 'supervisor started');

  return {
    id,
    url,
    get isLeader() {
      return leadership.isLeader;
    },
    get leasesReleased() {
      return released;
    },
    get rebalanceMoves() {
      return rebalancer.moves;
    },
    status,
    supervision,
    tick: () => {
      const r = running.then(() => tick());
      running = r.catch(() => undefined);
      return r;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await supervision.stop();
      await running.catch(() => undefined);
      await app?.close();
      await leadership.resign();
      await Promise.all([nodes.stop(), placement.stop()]);
      if (!o.nc) await nc.drain().catch(() => undefined);
    },
  };
}
