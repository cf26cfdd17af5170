/**
 * The workspace-node's error catalogue: the kernel's codes (actors/kernel/errors.ts, which the
 * kernel owns), the machines' (actors/errors.ts) and the node's own (effects, providers, tools,
 * limits): stable codes that journal records, dead letters and logs carry. One catalogue per
 * process. Documented in docs/errors.md (generated).
 */
import { kernelErrors } from '../actors/kernel/errors.js';
import { machineErrors } from '../actors/errors.js';
import { defineErrors, SEARCH_ERROR_SPECS } from '../schemas/index.js';

const nodeErrors = defineErrors('workspace-node', {
  /** the probe server's (probeServer.ts) answers, same codes and words as the gateway's */
  ROUTE_NOT_FOUND: {
    code: 'MOE_ERR_ROUTE_NOT_FOUND',
    message: 'no route for this method and path',
    status: 404,
  },
  METHOD_NOT_ALLOWED: {
    code: 'MOE_ERR_METHOD_NOT_ALLOWED',
    message: 'the probes answer GET and HEAD only',
    status: 405,
  },
  PROBE_FAILED: { code: 'MOE_ERR_PROBE_FAILED', message: 'the probe could not be answered', status: 500 },
  REPLY_TOO_LARGE: {
    code: 'MOE_ERR_REPLY_TOO_LARGE',
    message: "the LLM reply's tool calls exceed the reply size cap (MAX_LLM_REPLY_BYTES)",
    status: 413,
  },
  PROVIDER_UNKNOWN: {
    code: 'MOE_ERR_PROVIDER_UNKNOWN',
    message: 'no provider configured under that name',
    status: 400,
  },
  SCRIPT_EXHAUSTED: {
    code: 'MOE_ERR_SCRIPT_EXHAUSTED',
    message: 'scripted provider has no step left',
    status: 500,
  },
  TOOL_UNKNOWN: { code: 'MOE_ERR_TOOL_UNKNOWN', message: 'no tool with that name', status: 400 },
  PATH_OUTSIDE_WORKSPACE: {
    code: 'MOE_ERR_PATH_OUTSIDE_WORKSPACE',
    message: 'path escapes the workspace root',
    status: 403,
  },
  TOOL_INPUT: { code: 'MOE_ERR_TOOL_INPUT', message: 'tool input is invalid', status: 400 },
  PLACEMENT_HELD: {
    code: 'MOE_ERR_PLACEMENT_HELD',
    message: 'workspace is placed on another live node',
    status: 409,
    retryable: true,
  },
  CONFIG: { code: 'MOE_ERR_CONFIG', message: 'invalid configuration', status: 500 },
  TOOL_DISABLED: { code: 'MOE_ERR_TOOL_DISABLED', message: 'tool is disabled for this project', status: 403 },
  TOOL_FAILED: { code: 'MOE_ERR_TOOL_FAILED', message: 'tool could not do what was asked', status: 422 },
  TOOL_TIMEOUT: {
    code: 'MOE_ERR_TOOL_TIMEOUT',
    message: 'tool ran past its time limit and was stopped',
    status: 408,
  },
  FILE_NOT_FOUND: {
    code: 'MOE_ERR_FILE_NOT_FOUND',
    message: 'no such file or directory in the workspace',
    status: 404,
  },
  FILE_TOO_LARGE: {
    code: 'MOE_ERR_FILE_TOO_LARGE',
    message: 'file or content exceeds the size limit',
    status: 413,
  },
  EDIT_NO_MATCH: {
    code: 'MOE_ERR_EDIT_NO_MATCH',
    message: 'text to replace was not found in the file',
    status: 422,
  },
  EDIT_AMBIGUOUS: {
    code: 'MOE_ERR_EDIT_AMBIGUOUS',
    message: 'text to replace occurs more than once',
    status: 422,
  },
  // providers (router, retry, circuit breaker, prices) and limits (rate limits, budgets)
  PROVIDER_RATE_LIMITED: {
    code: 'MOE_ERR_PROVIDER_RATE_LIMITED',
    message: 'the provider rate-limited the request (429)',
    status: 429,
    retryable: true,
  },
  PROVIDER_UNAVAILABLE: {
    code: 'MOE_ERR_PROVIDER_UNAVAILABLE',
    message: 'the provider failed or the connection broke (5xx, network, broken stream)',
    status: 503,
    retryable: true,
  },
  PROVIDER_TIMEOUT: {
    code: 'MOE_ERR_PROVIDER_TIMEOUT',
    message: 'the provider did not finish within the request timeout',
    status: 504,
    retryable: true,
  },
  PROVIDER_REJECTED: {
    code: 'MOE_ERR_PROVIDER_REJECTED',
    message: 'the provider refused the request (4xx)',
    status: 502,
  },
  PROVIDER_BAD_RESPONSE: {
    code: 'MOE_ERR_PROVIDER_BAD_RESPONSE',
    message: 'the provider sent a response that cannot be used',
    status: 502,
    retryable: true,
  },
  LLM_CANCELLED: {
    code: 'MOE_ERR_LLM_CANCELLED',
    message: 'the LLM call was cancelled by its caller',
    status: 499,
  },
  CIRCUIT_OPEN: {
    code: 'MOE_ERR_CIRCUIT_OPEN',
    message: 'every provider for this profile is failing (circuit open)',
    status: 503,
    retryable: true,
  },
  PROFILE_UNKNOWN: {
    code: 'MOE_ERR_PROFILE_UNKNOWN',
    message: 'no agent profile with that name',
    status: 400,
  },
  PRICE_UNKNOWN: {
    code: 'MOE_ERR_PRICE_UNKNOWN',
    message: 'no price for that provider/model in the price table',
    status: 500,
  },
  PLAN_UNKNOWN: { code: 'MOE_ERR_PLAN_UNKNOWN', message: 'no billing plan with that name', status: 500 },
  RATE_LIMIT_EXCEEDED: {
    code: 'MOE_ERR_RATE_LIMIT_EXCEEDED',
    message: 'cluster-wide provider rate limit reached for this minute',
    status: 429,
    retryable: true,
  },
  BUDGET_EXCEEDED: {
    code: 'MOE_ERR_BUDGET_EXCEEDED',
    message: 'the organisation budget for this period is spent',
    status: 402,
  },
  LIMITS_CONTENDED: {
    code: 'MOE_ERR_LIMITS_CONTENDED',
    message: 'limit counters stayed contended after many compare-and-set retries',
    status: 503,
    retryable: true,
  },
  LIMITS_UNAVAILABLE: {
    code: 'MOE_ERR_LIMITS_UNAVAILABLE',
    message: 'limit counters in JetStream KV are unreachable',
    status: 503,
    retryable: true,
  },
  // agents and coordination
  APPROVAL_REQUIRED: {
    code: 'MOE_ERR_APPROVAL_REQUIRED',
    message: 'this tool runs only after task.approve',
    status: 403,
  },
  PROJECT_CONFIG: {
    code: 'MOE_ERR_PROJECT_CONFIG',
    message: 'the project config file is invalid',
    status: 500,
  },
  // backups (workspace-node/backup/)
  BACKUP_NOT_FOUND: {
    code: 'MOE_ERR_BACKUP_NOT_FOUND',
    message: 'no backup manifest with that id in the object store',
    status: 404,
  },
  BACKUP_INTEGRITY: {
    code: 'MOE_ERR_BACKUP_INTEGRITY',
    message: "a backup object is missing or does not match the manifest's sha256 or size",
    status: 502,
  },
  BACKUP_MANIFEST: {
    code: 'MOE_ERR_BACKUP_MANIFEST',
    message: 'the backup manifest is unreadable or of an unsupported schema version',
    status: 500,
  },
  BACKUP_REPLAY: {
    code: 'MOE_ERR_BACKUP_REPLAY',
    message: "replaying the backup's session logs does not reproduce its actor snapshots",
    status: 500,
  },
  BACKUP_TARGET: {
    code: 'MOE_ERR_BACKUP_TARGET',
    message: 'the restore target directory exists and is not empty',
    status: 409,
  },
  DATA_DIR_LOCKED: {
    code: 'MOE_ERR_DATA_DIR_LOCKED',
    message: 'the data directory is in use by another node process',
    status: 409,
  },
  DATA_DIR_ON_FUSE: {
    code: 'MOE_ERR_DATA_DIR_ON_FUSE',
    message: 'the data directory is on a FUSE filesystem (SQLite and session logs need a local disk)',
    status: 500,
  },
  // payments (billing/stripe/): whether the invoice.push effect should retry
  STRIPE_UNAVAILABLE: {
    code: 'MOE_ERR_STRIPE_UNAVAILABLE',
    message: 'Stripe did not answer, rate-limited the request or failed (network, 429, 5xx); retried',
    status: 503,
    retryable: true,
  },
  STRIPE_REFUSED: {
    code: 'MOE_ERR_STRIPE_REFUSED',
    message: 'Stripe refused the request (bad key, invalid parameters, idempotency conflict)',
    status: 502,
  },
  // log search (logSearch.ts, searchService.ts; the same specs as the gateway's and the CLI's)
  SEARCH_QUERY: SEARCH_ERROR_SPECS.SEARCH_QUERY,
  SEARCH_REQUEST: SEARCH_ERROR_SPECS.SEARCH_REQUEST,
  SEARCH_FAILED: SEARCH_ERROR_SPECS.SEARCH_FAILED,
  BILLING_DRAFT_REQUEST: {
    code: 'MOE_ERR_BILLING_DRAFT_REQUEST',
    message: 'a billing draft request must be {start, end, plan} (epoch ms, plan name or null)',
    status: 400,
  },
});

export const errors = { ...kernelErrors, ...machineErrors, ...nodeErrors };
