/**
 * The operator's console (docs/operations.md, "The console"): pages and API under `/console`,
 * served by the gateway because the gateway holds what the console shows and checks — identities
 * (JWT, API keys), the tenancy names, tasks, usage and approvals — while the cluster half (nodes,
 * leases, backlogs) is read from the supervisor's `/api/status` with the operator token.
 */
export { consoleRoutes, CONSOLE_COOKIE, CONSOLE_LIVE_MS, type ConsoleOptions } from './routes.js';
export { supervisorSource, type ClusterSource, type ClusterStatus } from './clusterSource.js';
export { operatorEmails, operatorKeyIds } from './identity.js';
export type { Overview } from './overview.js';
