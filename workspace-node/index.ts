/** The workspace-node: hosts workspaces (kernel, SQLite cluster, JSONL logs, effects). */
export { startWorkspaceNode, type WorkspaceNode, type WorkspaceNodeOptions } from './node.js';
export { WorkspaceHost, workspaceDir, type WorkspaceHostOptions } from './workspaceHost.js';
export { ensureStreams, type StreamOptions } from '../actors/kernel/index.js';
export { openSqliteCluster, DATABASES, type SqliteCluster } from './sqliteCluster.js';
export { PlacementLeases, type Lease } from './placement.js';
export { startDiscovery, type Discovery, type DiscoveryOptions, type DiscoveryStats } from './discovery.js';
export { WorkspaceRegistry } from './workspaceRegistry.js';
export { nodeConfigFromEnv, type NodeConfig } from './config.js';
export { lockDataDir, type DataDirLock } from './dataDirLock.js';
export { sharedFilesDir } from './filesRoot.js';
export { processAlive } from './processAlive.js';
export { assertDataDirNotOnFuse } from './dataDirFs.js';
export { checkNodeEnv } from './checkNodeEnv.js';
export { drainConfigFromEnv, type DrainConfig } from './drain.js';
export { errors } from './errors.js';
export { scriptedProvider, demoScript, SCRIPTED_MODEL } from './providers/scripted.js';
export type { Provider, ChatRequest, ProviderEvent, ToolDefinition } from './providers/provider.js';
export { createProjector, lineTurns } from './projections.js';
export { searchLogs } from './logSearch.js';
export { serveLogSearch } from './searchService.js';
export {
  backupWorkspace,
  restoreBackup,
  restorePlan,
  verifyBackup,
  listBackups,
  pruneBackups,
  readDeletedMarker,
  writeDeletedMarker,
  DEFAULT_DELETED_RETENTION_MS,
  DEFAULT_KEEP_LAST,
  DEFAULT_KEEP_WITHIN_MS,
  DAY_MS,
  readManifest,
  workspaceBackupPrefix,
  workspaceStore,
  type BackupManifest,
  type RestoreProgress,
  type VerifyResult,
  type PruneProgress,
  type PruneResult,
} from './backup/index.js';
export { createNodeMetrics, type NodeMetrics, type NodeMetricSources } from './metrics.js';
export { readiness, type Readiness, type ReadinessInputs } from './readiness.js';
export {
  invoicePusherFromEnv,
  stripeInvoicePusher,
  stripeConfigFromEnv,
  type StripePusherConfig,
} from './billing/stripe/index.js';
export {
  buildInvoice,
  draftInvoice,
  invoiceId,
  invoiceLedger,
  notSentPusher,
  usageReader,
  type InvoiceInput,
  type PricedSegment,
  type UsageGroup,
} from './billing/index.js';
export { DEFAULT_PRICE_TABLE, type PriceTable } from './providers/prices.js';
