/**
 * The workspace-node process: connects to NATS, makes sure the streams exist, discovers workspaces
 * that have commands, takes their placement leases and hosts them (one {@link WorkspaceHost} each),
 * renews leases and publishes a heartbeat for the supervisor (key = node id in `moe_nodes`, every
 * `MOE_HEARTBEAT_MS` (default NODE_HEARTBEAT_MS, 250 ms) — at most lease/3 — independent of the lease
 * length, so the supervisor can tell a dead node from a live one long before a long lease runs out).
 * A workspace it waits for is taken as soon as its lease is freed (leaseWatch.ts). The heartbeat also lists
 * what runs degraded here (a workspace whose projection worker was given up on), and each hosted
 * workspace's backup status (backupReport.ts: last good backup, verification, mirror lag, last
 * restore), for the dashboard and the supervisor's `/metrics`.
 *
 * A node first refuses a data dir on a FUSE filesystem (MOE_ERR_DATA_DIR_ON_FUSE, dataDirFs.ts:
 * SQLite and JSONL need a local disk), then takes its data dir's lock (`node.lock`, dataDirLock.ts):
 * one node process per `--data-dir`, released on stop. Workspace files may live on a shared root
 * instead (MOE_FILES_ROOT, filesRoot.ts), e.g. a gcsfuse mount every node sees.
 *
 * Discovery (discovery.ts) reads the workspace registry in KV (one entry per workspace) and the
 * commands after the discovery mark, then follows new ones: O(workspaces) at start, not O(actors),
 * and a command sent to a new workspace while no node ran is still found.
 *
 * Drain and release (drain.ts): `moe node drain`, SIGTERM on `moe node`, and the supervisor's
 * rebalancer hand workspaces over gracefully through `moe.ctl.node.<id>.*`; a draining node takes
 * no new workspace (its heartbeat says `draining`).
 *
 * Probes and metrics (probeServer.ts, MOE_NODE_HTTP_PORT, default 9464): `/healthz`, `/readyz`
 * (readiness.ts: NATS up, discovery caught up, every workspace taken is consuming) and `/metrics`
 * (metrics.ts; the list is in docs/operations.md).
 */
import { invoicePusherFromEnv } from './billing/stripe/index.js';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { defaultRegistry, type ActorRegistry } from '../actors/index.js';
import {
  systemClock,
  type Clock,
  type EffectHandler,
  type EffectRetryPolicy,
} from '../actors/kernel/index.js';
import {
  KV_BUCKETS,
  STREAMS,
  TENANCY_WS,
  type WorkspaceBackupReport,
  type WorkspaceRetirement,
} from '../schemas/index.js';
import { backupReport, type RestoreReport } from './backupReport.js';
import { BadSubjects } from './badSubjects.js';
import { startDiscovery, type Discovery } from './discovery.js';
import { nodeConfigFromEnv, type NodeConfig } from './config.js';
import { assertDataDirNotOnFuse } from './dataDirFs.js';
import { lockDataDir } from './dataDirLock.js';
import { createAgentRuntime, type AgentRuntime, type AgentRuntimeOptions } from './effects/agentRuntime.js';
import { startAlertRecovery } from './limits/index.js';
import { PlacementLeases } from './placement.js';
import { watchFreedLeases } from './leaseWatch.js';
import { drainConfigFromEnv, NodeDrain, type HandOverResult } from './drain.js';
import { killAfterOutcome, killDuringBackupUpload } from './faults.js';
import {
  ensureStreams,
  lastJournalEntry,
  natsAuthOptions,
  natsServers,
  watchNatsStatus,
} from '../actors/kernel/index.js';
import { LiveStats } from './liveStats.js';
import { createNodeMetrics } from './metrics.js';
import { startProbeServer, type ProbeServer } from './probeServer.js';
import { readiness, type Readiness } from './readiness.js';
import type { Tool } from './tools/index.js';
import { restoreOnTakeover } from './restoreOnTakeover.js';
import { retirementOf, tearDown, watchRetirements, type RetirementDeps } from './retirement.js';
import { openStoppedActors } from './stoppedActors.js';
import { WorkspaceHost, workspaceDir } from './workspaceHost.js';
import type { LeaseEvent } from './workspaceDb.js';
import { TenancyMirror } from './tenancyMirror.js';
import { storeFromEnv, type ObjectStore } from '../storage/index.js';
import { WorkspaceRegistry } from './workspaceRegistry.js';
import { killDuringInvoice } from './billing/index.js';
import type { InvoicePusher } from '../schemas/index.js';

/** Teardowns of a deleted workspace tried before waiting for the next start, and their spacing. */
const RETIRE_ATTEMPTS = 5;
const RETIRE_RETRY_MS = 5_000;

export interface WorkspaceNodeOptions extends Partial<NodeConfig> {
  /** an existing connection (else one is opened to natsUrl and closed on stop) */
  readonly nc?: NatsConnection;
  readonly logger?: Logger;
  readonly registry?: ActorRegistry;
  readonly clock?: Clock;
  readonly retry?: EffectRetryPolicy;
  readonly alwaysReplay?: boolean;
  readonly fsync?: boolean;
  /** project config (parsed, or its JSON file path; default $MOE_PROJECT_CONFIG) — see docs/agents.md */
  readonly projectConfig?: AgentRuntimeOptions['projectConfig'];
  /** provider keys and base URLs (default: from the environment; none → offline `scripted`) */
  readonly providers?: AgentRuntimeOptions['providers'];
  /** agent profiles over the defaults and the project's */
  readonly profiles?: AgentRuntimeOptions['profiles'];
  /** rate limits and budgets over the file's and the environment's */
  readonly limits?: AgentRuntimeOptions['limits'];
  readonly plans?: AgentRuntimeOptions['plans'];
  /**
   * where issued invoices are pushed (the billing actor's `invoice.push`); default: from the
   * environment (`invoicePusherFromEnv`: Stripe when `MOE_STRIPE_SECRET_KEY` is set, else nowhere,
   * every invoice `not_sent`).
   */
  readonly invoicePusher?: InvoicePusher;
  /** which tools are on (shell off unless enabled) and which need approval */
  readonly toolset?: AgentRuntimeOptions['toolset'];
  /** the router's per-target retries (the only retries of an LLM call; see effects/llmCall.ts) */
  readonly routerRetry?: AgentRuntimeOptions['routerRetry'];
  /** replace the tools (tests); approval still comes from `toolset` */
  readonly tools?: readonly Tool[];
  readonly extraEffects?: ReadonlyMap<string, EffectHandler>;
  /** host only these workspaces (`org.ws`); default: every workspace discovered */
  readonly only?: readonly string[];
  /** messages per pull request of each workspace consumer */
  readonly pullBatch?: number;
  /** skip placement leases (tests that force two owners) */
  readonly ignorePlacement?: boolean;
  /** the mount table read to refuse a data dir on FUSE (default /proc/self/mountinfo, tests pass a synthetic one) */
  readonly mountTable?: string;
  /**
   * where workspace backups are restored from on takeover (default: MOE_STORAGE_PRIMARY/MIRROR,
   * opened when first needed; see restoreOnTakeover.ts)
   */
  readonly storage?: ObjectStore;
}

export interface WorkspaceNode {
  readonly nodeId: string;
  readonly nc: NatsConnection;
  readonly config: NodeConfig;
  /** hosted workspaces by `org.ws` */
  readonly hosts: ReadonlyMap<string, WorkspaceHost>;
  /** the provider router, toolset and limiter this node's agents use */
  readonly agents: AgentRuntime;
  /** what runs degraded on this node (also in its heartbeat): `<org>.<ws>: <reason>` per workspace */
  degraded(): string[];
  /** each hosted workspace's backup status by `org.ws` (also in its heartbeat; tenancy workspaces left out) */
  backups(): Record<string, WorkspaceBackupReport>;
  /** what discovery read (registry entries, commands after the mark); `ready` once caught up */
  readonly discovery: Pick<Discovery, 'ready' | 'stats'>;
  /** whether the node is draining (takes no new workspace) */
  readonly draining: boolean;
  /** hands every workspace over to other nodes; resolves when none is left (drain.ts) */
  drain(): Promise<void>;
  /** takes workspaces again after a drain */
  undrain(): void;
  /** hands one workspace over (reserved for `to` when given); null when not hosted here */
  handOver(workspace: string, to?: string): Promise<HandOverResult | null>;
  /** the hand-overs this node did, oldest first */
  readonly handOvers: readonly HandOverResult[];
  /** `/healthz`, `/readyz`, `/metrics` at this URL (null: not served, see MOE_NODE_HTTP_PORT) */
  readonly httpUrl: string | null;
  /** what `/readyz` answers now */
  readiness(): Readiness;
  /** resolves when the workspace is hosted here */
  waitForWorkspace(org: string, ws: string, timeoutMs?: number): Promise<WorkspaceHost>;
  stop(): Promise<void>;
}

export async function startWorkspaceNode(options: WorkspaceNodeOptions = {}): Promise<WorkspaceNode> {
  const config = nodeConfigFromEnv(process.env, options);
  // SQLite and session logs never on FUSE (MOE_ERR_DATA_DIR_ON_FUSE says why); files may be.
  assertDataDirNotOnFuse(config.dataDir, options.mountTable);
  // Before anything else: one node process per data dir (MOE_ERR_DATA_DIR_LOCKED names the holder).
  const lock = lockDataDir(config.dataDir, config.nodeId);
  const onFailedStart: Array<() => Promise<void>> = [];
  try {
    return await startLocked(options, config, () => lock.release(), onFailedStart);
  } catch (err) {
    for (const undo of onFailedStart) await undo().catch(() => undefined);
    lock.release();
    throw err;
  }
}

async function startLocked(
  options: WorkspaceNodeOptions,
  config: NodeConfig,
  releaseLock: () => void,
  /** undone when the start fails after them (the probe server) */
  onFailedStart: Array<() => Promise<void>>,
): Promise<WorkspaceNode> {
  const faultAfterOutcome = killAfterOutcome(process.env);
  const faultMidInvoice = killDuringInvoice(process.env, config.dataDir);
  const log = options.logger ?? pino({ level: process.env.MOE_LOG_LEVEL ?? 'info' });
  const nc =
    options.nc ??
    (await connect({
      servers: natsServers(config.natsUrl),
      maxReconnectAttempts: -1,
      name: config.nodeId,
      noAsyncTraces: true,
      ...natsAuthOptions(),
    }));
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  await ensureStreams(nc, jsm, { replicas: config.replicas });
  const kvm = new Kvm(nc);
  const placementKv: KV = await kvm.open(KV_BUCKETS.placement);
  const nodesKv: KV = await kvm.open(KV_BUCKETS.nodes);
  const retiredKv: KV = await kvm.open(KV_BUCKETS.retired);
  // actors a restart policy stopped: read before anything is hosted, then watched (stoppedActors.ts)
  const stoppedActors = await openStoppedActors(await kvm.open(KV_BUCKETS.stoppedActors), log);
  const workspaceRegistry = new WorkspaceRegistry(
    await kvm.open(KV_BUCKETS.workspaces),
    await kvm.open(KV_BUCKETS.discovery),
  );
  const clock = options.clock ?? systemClock;
  const leases = new PlacementLeases(placementKv, config.nodeId, config.leaseMs, clock);
  const registry = options.registry ?? defaultRegistry();
  const hosts = new Map<string, WorkspaceHost>();
  const natsStatus = watchNatsStatus(nc);
  /** hostings under way (lease, restore, consumer): not ready until they are done */
  let hostsStarting = 0;
  let discoveryCaughtUp = false;
  let stopped = false;
  const ready = (): Readiness =>
    readiness({
      natsUp: natsStatus.up,
      discoveryCaughtUp,
      workspacesStarting: hostsStarting,
      stopping: stopped,
    });
  let breakers: () => ReturnType<AgentRuntime['router']['health']> = () => [];
  const liveStats = new LiveStats(() => clock.now());
  const metrics = createNodeMetrics(
    {
      workspaces: () =>
        [...hosts.values()].map((h) => ({
          org: h.o.org,
          ws: h.o.ws,
          effectsInFlight: h.kernel.effectsInFlight,
          resident: h.kernel.resident,
          projectionBacklog: h.projections.backlog,
          backlog: async () => {
            const ci = await jsm.consumers.info(STREAMS.commands, h.kernel.consumerName);
            return ci.num_pending + ci.num_ack_pending;
          },
        })),
      breakers: () => breakers(),
      natsUp: () => natsStatus.up,
      ready: () => ready().ready,
    },
    liveStats,
  );
  // Served from here on, so probes see a node that is still starting as live but not ready.
  const probes: ProbeServer | null =
    config.httpPort === null
      ? null
      : await startProbeServer({
          port: config.httpPort,
          host: config.httpHost,
          nodeId: config.nodeId,
          registry: metrics.registry,
          readiness: ready,
          log,
        });
  if (probes) onFailedStart.push(() => probes.close());
  const agents = await createAgentRuntime({
    providerObserver: metrics.providers,
    nodeId: config.nodeId,
    nc,
    stepDelayMs: config.stepDelayMs,
    logger: log,
    ...(options.projectConfig !== undefined ? { projectConfig: options.projectConfig } : {}),
    ...(options.providers ? { providers: options.providers } : {}),
    ...(options.profiles ? { profiles: options.profiles } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.plans ? { plans: options.plans } : {}),
    ...(options.toolset ? { toolset: options.toolset } : {}),
    ...(options.routerRetry ? { routerRetry: options.routerRetry } : {}),
  });
  breakers = () => agents.router.health();
  // budget alerts marked but never published (a node died mid-send): published now, then swept
  const alertRecovery = startAlertRecovery(agents.limiter, { log });
  onFailedStart.push(async () => alertRecovery.stop());
  const { toolset } = agents;
  const tools = options.tools ?? toolset.tools;
  const allowed = options.only ? new Set(options.only) : null;
  const starting = new Map<string, Promise<WorkspaceHost | null>>();
  const waiting = new Set<string>();
  /** the last restore on takeover of each workspace, by `org.ws` */
  const restores = new Map<string, RestoreReport>();
  // The backup store, opened the first time a workspace without local state is hosted.
  let storage: ObjectStore | undefined = options.storage;
  let openedStorage: { close?: () => void } | undefined;
  // Aborted on stop: a file restore still running then leaves the workspace alone.
  const stopping = new AbortController();
  // The default store is this node's own disk: the journal is not purged behind it (journalPurge.ts).
  const backupStoreIsLocal = options.storage === undefined && !process.env.MOE_STORAGE_PRIMARY?.trim();
  const backupStore = (): ObjectStore => {
    if (!storage) {
      const opened = storeFromEnv({ ...process.env, MOE_DATA_DIR: config.dataDir });
      openedStorage = opened as { close?: () => void };
      storage = killDuringBackupUpload(process.env, opened);
    }
    return storage;
  };

  // Deleted workspaces (retirement.ts): never hosted; torn down one at a time per workspace.
  const retirement: RetirementDeps = {
    nodeId: config.nodeId,
    jsm,
    retiredKv,
    placementKv,
    registry: workspaceRegistry,
    leases,
    store: backupStore,
    dataDir: config.dataDir,
    ...(config.filesRoot !== undefined ? { filesRoot: config.filesRoot } : {}),
    clock,
    log,
    ...(options.ignorePlacement ? { ignorePlacement: true } : {}),
  };
  const retiring = new Map<string, Promise<void>>();
  // workspace.db's config and members, from each org's tenancy journal (one reader per org)
  const tenancyMirror = new TenancyMirror(js, log);
  /** Stops hosting a deleted workspace and tears it down (`local`: only this node's copy). */
  const retire = (rec: WorkspaceRetirement, local: boolean, attempt = 1): Promise<void> => {
    const key = `${rec.org}.${rec.ws}`;
    const run = (retiring.get(key) ?? Promise.resolve()).then(async () => {
      if (stopped) return;
      waiting.delete(key);
      const pending = starting.get(key);
      const h = hosts.get(key) ?? (pending ? await pending.catch(() => null) : null);
      hosts.delete(key);
      starting.delete(key);
      if (h) await h.stop().catch((err: unknown) => log.error({ err, key }, 'stop failed'));
      if (local && !h) await tearDown({ ...retirement, ignorePlacement: true, localOnly: true }, rec);
      else await tearDown(retirement, rec);
    });
    const logged = run
      .catch((err: unknown) => {
        // e.g. the store or NATS unreachable: tried again a few times, then at the next start
        const again = attempt < RETIRE_ATTEMPTS && !stopped;
        log.error({ err, key, attempt, again }, 'tearing down a deleted workspace failed');
        if (again) setTimeout(() => void retire(rec, local, attempt + 1), RETIRE_RETRY_MS * attempt).unref();
      })
      .finally(() => {
        if (retiring.get(key) === logged) retiring.delete(key);
      });
    retiring.set(key, logged);
    return logged;
  };

  /** the epoch of each lease held here, for workspace.db's lease history */
  const epochs = new Map<string, number>();
  const recordLease = (h: WorkspaceHost, event: LeaseEvent) => {
    const key = `${h.o.org}.${h.o.ws}`;
    const epoch = epochs.get(key);
    if (epoch === undefined) return;
    if (event !== 'acquired') epochs.delete(key);
    try {
      h.metadata.lease(event, config.nodeId, epoch, clock.now());
    } catch (err) {
      log.warn({ err, key, event }, 'could not record the lease in workspace.db');
    }
  };

  const host = (org: string, ws: string): Promise<WorkspaceHost | null> => {
    const key = `${org}.${ws}`;
    const existing = starting.get(key);
    if (existing) return existing;
    hostsStarting++;
    const p = (async () => {
      if (drainer.draining) {
        waiting.add(key); // a candidate again once undrained
        return null;
      }
      const deleted = await retirementOf(retiredKv, org, ws);
      if (deleted) {
        // a late command for a deleted workspace: purge it again, never host
        void Promise.resolve().then(() => retire(deleted, false));
        return null;
      }
      const lease = options.ignorePlacement ? null : await leases.acquire(org, ws);
      if (!options.ignorePlacement && !lease) {
        waiting.add(key);
        return null;
      }
      waiting.delete(key);
      // A workspace with no state here (a takeover, a fresh disk), or with state older than its
      // latest backup (other nodes ran it since): its latest backup first.
      const dir = workspaceDir(config.dataDir, org, ws);
      const restored = await restoreOnTakeover({
        store: backupStore(),
        org,
        ws,
        dir,
        filesDir: config.filesRoot !== undefined ? undefined : join(dir, 'files'),
        log,
        signal: stopping.signal,
        journalHead: async (subject) => (await lastJournalEntry(jsm, subject))?.seq ?? null,
      });
      if (restored.backupId !== undefined && restored.rtoMs !== undefined) {
        const restore = { backupId: restored.backupId, at: clock.now(), rtoMs: restored.rtoMs };
        restores.set(key, { ...restore, filesRtoMs: null });
        void restored.filesRtoMs?.then((ms) => {
          if (ms !== undefined && restores.get(key)?.at === restore.at)
            restores.set(key, { ...restore, filesRtoMs: ms });
        });
      }
      const h = new WorkspaceHost({
        org,
        ws,
        stoppedWhy: (actor) => stoppedActors.why(actor),
        dataDir: config.dataDir,
        ...(config.filesRoot !== undefined ? { filesRoot: config.filesRoot } : {}),
        filesReady: restored.files,
        nc,
        js,
        jsm,
        registry,
        backupStore,
        tenancy: tenancyMirror,
        journalRetention: config.journal,
        backupStoreIsLocal,
        log,
        router: agents.router,
        needsApproval: (name) => toolset.needsApproval(name),
        tools,
        toolDefinitions: options.tools
          ? tools.map((t) => ({
              name: t.name,
              description: t.description,
              inputSchema: t.inputSchema,
            }))
          : toolset.definitions(),
        clock,
        idleMs: config.idleMs,
        ackWaitMs: config.ackWaitMs,
        // the lease holder is the consumer's only reader: a dead holder's unacked commands come at once
        ...(options.ignorePlacement ? {} : { soleReader: true }),
        ...(options.retry ? { retry: options.retry } : {}),
        ...(options.alwaysReplay ? { alwaysReplay: true } : {}),
        ...(options.fsync === false ? { fsync: false } : {}),
        ...(options.pullBatch ? { pullBatch: options.pullBatch } : {}),
        ...(options.extraEffects ? { extraEffects: options.extraEffects } : {}),
        ...(faultAfterOutcome ? { afterOutcomeRecorded: faultAfterOutcome } : {}),
        observer: metrics.kernel,
        plans: agents.plans,
        // the option wins; else the environment's (Stripe with MOE_STRIPE_SECRET_KEY, else not_sent)
        invoicePusher: options.invoicePusher ?? invoicePusherFromEnv(process.env),
        ...(faultMidInvoice ? { midInvoice: faultMidInvoice } : {}),
      });
      await h.start();
      // workspace.db: who hosts it, since when (workspaceDb.ts)
      h.metadata.hosted(org, ws, config.nodeId, clock.now());
      if (lease) {
        epochs.set(key, lease.epoch);
        recordLease(h, 'acquired');
      }
      hosts.set(key, h);
      log.info(
        { org, ws, node: config.nodeId, files: h.filesDir, restoredFrom: restored.backupId },
        'workspace hosted',
      );
      return h;
    })();
    starting.set(key, p);
    void p.finally(() => hostsStarting--).catch(() => undefined);
    p.then((h) => {
      if (!h) starting.delete(key);
    }).catch((err: unknown) => {
      starting.delete(key);
      // e.g. NATS slow under load while opening it: tried again on the next heartbeat (a lease
      // taken meanwhile is ours, so the retry keeps it)
      if (!stopped) waiting.add(key);
      log.error({ err, org, ws }, 'could not host workspace');
    });
    return p;
  };

  // Graceful hand-over of one workspace (drain.ts): quiet, record, close, release (or reserve).
  const handingOver = new Map<string, Promise<unknown>>();
  const handOver = (key: string, to?: string): Promise<HandOverResult | null> => {
    const h = hosts.get(key);
    if (!h || stopped || handingOver.has(key)) return Promise.resolve(null);
    const p = handOverHost(key, h, to).finally(() => handingOver.delete(key));
    handingOver.set(
      key,
      p.catch(() => undefined),
    );
    return p;
  };
  const handOverHost = async (key: string, h: WorkspaceHost, to?: string): Promise<HandOverResult> => {
    const started = Date.now();
    let releasedAfter: number | undefined;
    // Once the kernel has stopped: recorded in workspace.db (still open), then the lease goes, and
    // only then do the stores close (the next host opens its own copy; closing takes ~1 s).
    const release = async () => {
      if (releasedAfter !== undefined) return;
      releasedAfter = Date.now() - started;
      hosts.delete(key);
      starting.delete(key);
      if (!options.ignorePlacement) {
        recordLease(h, 'released');
        await leases.release(h.o.org, h.o.ws, to).catch(() => undefined);
      }
      waiting.add(key);
      releasedAfter = Date.now() - started;
    };
    // closed or not, it is not served here any more: the lease goes (the fence covers the rest)
    const quiet = await h.handOver(drainConfig.timeoutMs, release).finally(release);
    return { workspace: key, ms: releasedAfter ?? 0, quiet, ...(to !== undefined ? { to } : {}) };
  };
  const drainConfig = drainConfigFromEnv(process.env);
  const drainer = new NodeDrain(
    { nodeId: config.nodeId, hosted: () => [...hosts.keys()].filter((k) => !handingOver.has(k)), handOver },
    drainConfig,
    log,
  );

  const degraded = () => [...hosts].flatMap(([key, h]) => (h.degraded ? [`${key}: ${h.degraded}`] : []));
  const backups = (): Record<string, WorkspaceBackupReport> => {
    const out: Record<string, WorkspaceBackupReport> = {};
    for (const [key, h] of hosts) {
      if (h.o.ws === TENANCY_WS) continue;
      try {
        const { org, ws } = h.o;
        out[key] = backupReport({
          org,
          ws,
          sessions: h.cluster.sessions,
          store: storage,
          restore: restores.get(key),
        });
      } catch {
        // a workspace stopping meanwhile (its databases closed) is left out of this beat
      }
    }
    return out;
  };

  // Heartbeat and retry of waiting workspaces (a lease the supervisor released is taken at once).
  // The first beat goes out before any lease is taken. It also says what runs degraded here.
  const beat = async () => {
    for (const key of waiting) {
      const [org, ws] = key.split('.') as [string, string];
      void host(org, ws);
    }
    await nodesKv
      .put(
        config.nodeId,
        JSON.stringify({
          node: config.nodeId,
          at: clock.now(),
          workspaces: [...hosts.keys()],
          draining: drainer.draining,
          degraded: degraded(),
          backups: backups(),
          stats: liveStats.report(breakers()),
        }),
      )
      .catch(() => undefined);
  };
  await beat();
  const heartbeat = setInterval(
    () => void beat().catch(() => undefined),
    Math.max(50, Math.min(config.heartbeatMs, Math.floor(config.leaseMs / 3))),
  );
  heartbeat.unref();
  // A lease the supervisor expires (or a node releases) is taken at once, not at the next beat.
  const stopLeaseWatch = await watchFreedLeases(
    placementKv,
    () => clock.now(),
    (org, ws) => {
      const key = `${org}.${ws}`;
      if (stopped || !waiting.has(key)) return;
      // An attempt under way (a heartbeat's retry) may have read the lease before it was freed:
      // try again once it is done, rather than at the next beat.
      void (starting.get(key) ?? Promise.resolve(null))
        .then((h) => (h || stopped ? h : host(org, ws)))
        .catch(() => undefined);
    },
  );

  // Deletions: every record now and later; a `deleted` one only clears this node's local copy.
  const stopRetirements = await watchRetirements(retiredKv, (rec) => {
    const key = `${rec.org}.${rec.ws}`;
    if (allowed && !allowed.has(key)) return;
    void retire(rec, rec.state === 'deleted');
  });

  // Commands on subjects no workspace consumer takes are dead-lettered (see badSubjects.ts).
  const badSubjects = new BadSubjects(js, jsm, log, clock);
  await badSubjects.start();
  // Discovery: the registry and the commands after the mark, then every new command (discovery.ts).
  const discovery = await startDiscovery({
    js,
    jsm,
    registry: workspaceRegistry,
    nodeId: config.nodeId,
    clock,
    log,
    onWorkspace: (org, ws) => {
      const key = `${org}.${ws}`;
      if (allowed && !allowed.has(key)) return;
      if (!starting.has(key)) void host(org, ws);
    },
    onBadSubject: (subject, seq) => badSubjects.fromDiscovery(subject, seq),
  });

  drainer.serve(nc);
  void discovery.ready.then(() => (discoveryCaughtUp = true)).catch(() => undefined);

  // Lease renewal, takeover of expired leases, heartbeat.
  const tick = setInterval(
    () => {
      void (async () => {
        for (const [key, h] of hosts) {
          if (options.ignorePlacement) continue;
          // Unreachable KV (NATS down) is not a lost lease: keep hosting; the journal fence covers the rest.
          if ((await leases.renew(h.o.org, h.o.ws).catch(() => 'unknown' as const)) === 'lost') {
            log.warn({ workspace: key }, 'placement lease lost; releasing workspace');
            recordLease(h, 'lost');
            hosts.delete(key);
            starting.delete(key);
            await h.stop().catch(() => undefined);
          }
        }
      })().catch(() => undefined);
    },
    Math.max(200, Math.floor(config.leaseMs / 3)),
  );
  tick.unref();

  return {
    nodeId: config.nodeId,
    nc,
    config,
    hosts,
    agents,
    degraded,
    backups,
    discovery: { ready: discovery.ready, stats: () => discovery.stats() },
    get draining() {
      return drainer.draining;
    },
    drain: () => drainer.drain(),
    undrain: () => drainer.undrain(),
    handOver,
    handOvers: drainer.handOvers,
    httpUrl: probes?.url ?? null,
    readiness: ready,
    async waitForWorkspace(org, ws, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const h = hosts.get(`${org}.${ws}`);
        if (h) return h;
        if (Date.now() > deadline) throw new Error(`workspace ${org}.${ws} not hosted on ${config.nodeId}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      stopping.abort();
      alertRecovery.stop();
      drainer.close();
      clearInterval(tick);
      clearInterval(heartbeat);
      stopLeaseWatch();
      const discoveryStopped = discovery.stop();
      stopRetirements();
      stoppedActors.stop();
      badSubjects.stop();
      await Promise.all(retiring.values());
      await Promise.all(handingOver.values());
      await discoveryStopped.catch(() => undefined);
      await Promise.all([...starting.values()].map((p) => p.catch(() => null)));
      for (const [key, h] of hosts) {
        if (!options.ignorePlacement) recordLease(h, 'released');
        await h.stop().catch((err: unknown) => log.error({ err, key }, 'stop failed'));
        if (!options.ignorePlacement) await leases.release(h.o.org, h.o.ws);
      }
      hosts.clear();
      await tenancyMirror.close();
      openedStorage?.close?.();
      await nodesKv.delete(config.nodeId).catch(() => undefined);
      if (!options.nc) await nc.drain().catch(() => undefined);
      await probes?.close();
      releaseLock();
    },
  };
}
