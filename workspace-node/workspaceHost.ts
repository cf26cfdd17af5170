/**
 * Everything one hosted workspace owns on this node: its directory (SQLite cluster, session JSONL
 * logs, project files), its kernel, and the effect handlers bound to its root.
 *
 *   <dataDir>/workspaces/<org>/<ws>/db/*.db          SQLite cluster (local disk only)
 *   <dataDir>/workspaces/<org>/<ws>/sessions/*.jsonl session logs
 *   <dataDir>/workspaces/<org>/<ws>/files/           the agents' working tree (default), or
 *   <filesRoot>/<org>/<ws>/files/                    with MOE_FILES_ROOT: shared by every node (filesRoot.ts)
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { ActorRegistry } from '../actors/index.js';
import {
  CommandPublisher,
  effectHandlers,
  JsonlLog,
  SessionStore,
  systemClock,
  WorkspaceKernel,
  type Clock,
  type EffectHandler,
  type KernelObserver,
  type EffectRetryPolicy,
} from '../actors/kernel/index.js';
import type { ObjectStore } from '../storage/index.js';
import { actorSendHandler } from './effects/actorSend.js';
import { backupRunHandler } from './effects/backupRun.js';
import { backupVerifyHandler } from './effects/backupVerify.js';
import { journalPurgeHandler } from './effects/journalPurge.js';
import { DEFAULT_JOURNAL_KEEP, type JournalRetention } from './journalRetention.js';
import { llmCallHandler } from './effects/llmCall.js';
import { invoiceIssueHandler } from './effects/invoiceIssue.js';
import { invoicePushHandler } from './effects/invoicePush.js';
import {
  invoiceLedger,
  notSentPusher,
  planHistory,
  serveBillingDraft,
  usageReader,
  workspacePlan,
  type InvoiceLedger,
  type PlanHistory,
} from './billing/index.js';
import { type PlanConfig } from './providers/index.js';
import type { InvoicePusher } from '../schemas/index.js';
import { toolRunHandler } from './effects/toolRun.js';
import { sharedFilesDir } from './filesRoot.js';
import { ProjectionQueue } from './projectionQueue.js';
import { serveLogSearch } from './searchService.js';
import type { ProviderRouter, ToolDefinition } from './providers/index.js';
import { openSqliteCluster, type SqliteCluster } from './sqliteCluster.js';
import { WorkspaceMetadata } from './workspaceDb.js';
import type { TenancyMirror } from './tenancyMirror.js';
import { sqliteWriteLedger, type Tool } from './tools/index.js';
import { ArtifactStore, artifactRecorder } from './artifacts/index.js';

export interface WorkspaceHostOptions {
  readonly org: string;
  readonly ws: string;
  /** why an actor was stopped by its restart policy (stoppedActors.ts): its commands are refused */
  readonly stoppedWhy?: (actor: string) => string | undefined;
  readonly dataDir: string;
  /** MOE_FILES_ROOT: files at `<filesRoot>/<org>/<ws>/files` instead of under the data dir */
  readonly filesRoot?: string;
  /** resolves when the files are restored after a takeover (restoreOnTakeover.ts); tool calls wait */
  readonly filesReady?: Promise<void>;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly registry: ActorRegistry;
  /** the node's backup store (the backup actor's effects write to the workspace's prefix in it) */
  readonly backupStore?: () => ObjectStore;
  /** what the backup actor's `journal.purge` removes after a verified backup (default: nothing) */
  readonly journalRetention?: JournalRetention;
  /** the backup store is the node-local default: the journal is then never purged */
  readonly backupStoreIsLocal?: boolean;
  readonly log: Logger;
  /** every \`llm.call\` goes through it: profiles, retries, fallbacks, limits, prices */
  readonly router: ProviderRouter;
  /** tools whose calls wait for \`task.approve\` */
  readonly needsApproval?: (tool: string) => boolean;
  readonly tools: readonly Tool[];
  readonly toolDefinitions: readonly ToolDefinition[];
  readonly clock?: Clock;
  readonly retry?: EffectRetryPolicy;
  readonly idleMs?: number;
  readonly alwaysReplay?: boolean;
  readonly fsync?: boolean;
  readonly consumerName?: string;
  readonly pullBatch?: number;
  /** ack_wait of the workspace's command consumer (ms; default 30 s) */
  readonly ackWaitMs?: number;
  /** this node holds the workspace's lease (see WorkspaceKernelOptions.soleReader) */
  readonly soleReader?: boolean;
  readonly extraEffects?: ReadonlyMap<string, EffectHandler>;
  /** keeps workspace.db's config and members current from the org's tenancy journal */
  readonly tenancy?: TenancyMirror;
  /** called after an effect outcome is recorded, before it is published (fault injection in tests) */
  readonly afterOutcomeRecorded?: (kind: string) => void;
  /** the node's metrics (metrics.ts): entries, dead letters, effects, fsyncs */
  readonly observer?: KernelObserver;
  /** where the billing actor's `invoice.push` sends issued invoices (default: none, `not_sent`) */
  readonly invoicePusher?: InvoicePusher;
  /** the billing plans (markup, fees, included credits) invoices are computed with */
  readonly plans?: PlanConfig;
  /** fault injection: called mid-`invoice.issue` (billing/invoiceFault.ts) */
  readonly midInvoice?: () => void;
}

export function workspaceDir(dataDir: string, org: string, ws: string): string {
  return resolve(dataDir, 'workspaces', org, ws);
}

export class WorkspaceHost {
  readonly dir: string;
  readonly filesDir: string;
  readonly cluster: SqliteCluster;
  readonly jsonl: JsonlLog;
  readonly kernel: WorkspaceKernel;
  /** turns → messages, full-text and metrics databases, on a worker thread */
  readonly projections: ProjectionQueue;
  /** workspace.db: config and lease history (the node writes them; workspaceDb.ts) */
  readonly metadata: WorkspaceMetadata;
  /** the workspace's billing plan changes: calls are priced with its plan now (billing/planHistory.ts) */
  readonly billingPlans: PlanHistory;
  /** which calls each issued invoice billed: late usage goes on the next one (billing/invoiceLedger.ts) */
  readonly ledger: InvoiceLedger;

  constructor(readonly o: WorkspaceHostOptions) {
    this.dir = workspaceDir(o.dataDir, o.org, o.ws);
    this.filesDir =
      o.filesRoot !== undefined ? sharedFilesDir(o.filesRoot, o.org, o.ws) : join(this.dir, 'files');
    mkdirSync(this.filesDir, { recursive: true });
    this.cluster = openSqliteCluster(join(this.dir, 'db'));
    this.metadata = new WorkspaceMetadata(this.cluster.workspace);
    this.billingPlans = planHistory(this.cluster.metrics);
    this.ledger = invoiceLedger(this.cluster.metrics);
    this.jsonl = new JsonlLog(join(this.dir, 'sessions'), {
      ...(o.fsync === false ? { fsync: false } : {}),
      ...(o.observer ? { onFsync: (ms: number) => o.observer?.fsync(ms) } : {}),
    });
    this.projections = new ProjectionQueue(
      join(this.dir, 'db'),
      this.cluster,
      o.log.child({ org: o.org, ws: o.ws }),
      o.clock ? { clock: o.clock } : {},
    );
    const publisher = new CommandPublisher(o.js, o.clock ?? systemClock, new AbortController().signal);
    const effects = new Map<string, EffectHandler>([
      ...effectHandlers({
        'llm.call': llmCallHandler({
          router: o.router,
          plan: workspacePlan(this.billingPlans, o.plans ?? {}, o.log.child({ org: o.org, ws: o.ws })),
          tools: () => o.toolDefinitions,
          nc: o.nc,
          ...(o.needsApproval ? { needsApproval: o.needsApproval } : {}),
        }),
        'tool.run': toolRunHandler({
          root: this.filesDir,
          ...(o.filesReady ? { ready: o.filesReady } : {}),
          tools: new Map(o.tools.map((t) => [t.name, t])),
          recordArtifact: artifactRecorder(new ArtifactStore(this.cluster.artifacts), () =>
            (o.clock ?? systemClock).now(),
          ),
          writes: sqliteWriteLedger(this.cluster.sessions, () => (o.clock ?? systemClock).now()),
          publisher: () => publisher,
        }),
        'actor.send': actorSendHandler(() => publisher),
        'invoice.issue': invoiceIssueHandler({
          usage: usageReader(this.cluster.metrics),
          ledger: this.ledger,
          flush: () => this.projections.flush(),
          plans: o.plans ?? {},
          ...(o.midInvoice ? { midIssue: o.midInvoice } : {}),
        }),
        'invoice.push': invoicePushHandler(o.invoicePusher ?? notSentPusher),
        ...(o.backupStore
          ? {
              'backup.run': backupRunHandler({
                store: o.backupStore,
                dir: this.dir,
                filesDir: this.filesDir,
                cluster: this.cluster,
              }),
              'backup.verify': backupVerifyHandler(o.backupStore),
              'journal.purge': journalPurgeHandler({
                store: o.backupStore,
                js: o.js,
                jsm: o.jsm,
                retention: o.journalRetention ?? { purge: false, keep: DEFAULT_JOURNAL_KEEP },
                storeIsLocal: o.backupStoreIsLocal ?? false,
              }),
            }
          : {}),
      }),
      ...(o.extraEffects ?? new Map()),
    ]);
    this.kernel = new WorkspaceKernel({
      org: o.org,
      ws: o.ws,
      nc: o.nc,
      js: o.js,
      jsm: o.jsm,
      registry: o.registry,
      store: new SessionStore(this.cluster.sessions),
      jsonl: this.jsonl,
      effects,
      log: o.log.child({ org: o.org, ws: o.ws }),
      ...(o.clock ? { clock: o.clock } : {}),
      ...(o.retry ? { retry: o.retry } : {}),
      ...(o.idleMs !== undefined ? { idleMs: o.idleMs } : {}),
      ...(o.alwaysReplay ? { alwaysReplay: true } : {}),
      ...(o.consumerName ? { consumerName: o.consumerName } : {}),
      ...(o.pullBatch ? { pullBatch: o.pullBatch } : {}),
      ...(o.ackWaitMs !== undefined ? { ackWaitMs: o.ackWaitMs } : {}),
      ...(o.soleReader ? { soleReader: true } : {}),
      onEntry: (line) => {
        this.billingPlans.seen(line);
        this.projections.push(line);
      },
      ...(o.afterOutcomeRecorded ? { afterOutcomeRecorded: o.afterOutcomeRecorded } : {}),
      ...(o.observer ? { observer: o.observer } : {}),
      ...(o.stoppedWhy ? { stoppedWhy: o.stoppedWhy } : {}),
    });
  }

  /** Why this workspace runs degraded (its projection worker gave up), else undefined. */
  get degraded(): string | undefined {
    return this.projections.status.degraded;
  }

  private detachTenancy: (() => void) | undefined;
  /** `moe.api.<org>.<ws>.search` while this node hosts the workspace (searchService.ts) */
  private search: { stop(): void } | undefined;
  /** `moe.api.<org>.<ws>.billing.draft`: the current period so far (billing/draftService.ts) */
  private billingDraft: { stop(): void } | undefined;

  async start(): Promise<void> {
    await this.kernel.start();
    this.detachTenancy = this.o.tenancy?.attach(this.o.org, this.o.ws, this.metadata);
    this.search = serveLogSearch(
      this.o.nc,
      { org: this.o.org, ws: this.o.ws },
      this.cluster.parsed_sessions,
      this.o.log.child({ org: this.o.org, ws: this.o.ws }),
    );
    this.billingDraft = serveBillingDraft(
      this.o.nc,
      { org: this.o.org, ws: this.o.ws },
      {
        usage: usageReader(this.cluster.metrics),
        planChanges: () => this.billingPlans.changes(),
        late: (start) => this.ledger.pending(start),
        plans: this.o.plans ?? {},
      },
      this.o.log.child({ org: this.o.org, ws: this.o.ws }),
    );
  }

  async stop(): Promise<void> {
    this.detachTenancy?.();
    this.search?.stop();
    this.billingDraft?.stop();
    await this.kernel.stop();
    await this.close();
  }

  /**
   * Stops gracefully for another node to take over (drain.ts): new commands go back to the stream,
   * effects already started finish here (at most `timeoutMs`), `beforeClose` runs (workspace.db is
   * still open: the lease's release is recorded there, and the lease is released before the slow
   * part of closing), then everything closes. Resolves
   * true when the workspace was quiet at the end.
   */
  async handOver(timeoutMs: number, beforeClose?: () => Promise<void>): Promise<boolean> {
    this.detachTenancy?.();
    this.search?.stop();
    this.billingDraft?.stop();
    const quiet = await this.kernel.handOver(timeoutMs);
    await beforeClose?.();
    await this.close();
    return quiet;
  }

  private async close(): Promise<void> {
    await this.jsonl.close();
    await this.projections.close();
    this.cluster.close();
  }
}
