/**
 * The CLI's error catalogue: what `moe` prints (with its code) before exiting non-zero.
 * MOE_ERR_USAGE (a flag) and MOE_ERR_CONFIG (an environment variable) exit 2, others 1;
 * cli/reportError.ts maps Node's own errors (bad URL, busy port, …) onto these codes.
 */
import { defineErrors, SEARCH_ERROR_SPECS } from '../schemas/index.js';

export const errors = defineErrors('cli', {
  USAGE: { code: 'MOE_ERR_USAGE', message: 'invalid command line', status: 400 },
  CONFIG: { code: 'MOE_ERR_CONFIG', message: 'invalid configuration' },
  PORT_IN_USE: {
    code: 'MOE_ERR_PORT_IN_USE',
    message: 'a port moe must listen on is in use or not allowed',
    retryable: true,
  },
  UNEXPECTED: {
    code: 'MOE_ERR_CLI_UNEXPECTED',
    message: 'unexpected error (MOE_DEBUG=1 prints its stack)',
  },
  NATS_SERVER_MISSING: {
    code: 'MOE_ERR_NATS_SERVER_MISSING',
    message: 'no NATS server reachable and no nats-server binary found',
  },
  NATS_START_FAILED: {
    code: 'MOE_ERR_NATS_START_FAILED',
    message: 'could not start the embedded nats-server',
  },
  NATS_NO_JETSTREAM: { code: 'MOE_ERR_NATS_NO_JETSTREAM', message: 'the NATS server has JetStream disabled' },
  NATS_AUTH_DIR: {
    code: 'MOE_ERR_NATS_AUTH_DIR',
    message: 'the NATS auth directory cannot be used (moe creds init creates it; MOE_NATS_AUTH_DIR, --dir)',
  },
  NATS_UNREACHABLE: { code: 'MOE_ERR_NATS_UNREACHABLE', message: 'cannot connect to NATS', retryable: true },
  GATEWAY_UNREACHABLE: {
    code: 'MOE_ERR_GATEWAY_UNREACHABLE',
    message: 'no gateway answered at the URL (--gateway, MOE_GATEWAY_URL)',
    retryable: true,
  },
  NODE_UNREACHABLE: {
    code: 'MOE_ERR_NODE_UNREACHABLE',
    message: 'the workspace-node did not answer its control request',
    retryable: true,
  },
  DRAIN_TIMEOUT: {
    code: 'MOE_ERR_DRAIN_TIMEOUT',
    message: 'the node still hosted workspaces when the drain timeout passed',
    retryable: true,
  },
  TASK_TIMEOUT: { code: 'MOE_ERR_TASK_TIMEOUT', message: 'the task did not finish in time', retryable: true },
  REPLAY_INPUT: { code: 'MOE_ERR_REPLAY_INPUT', message: 'cannot read the replay input' },
  REPROJECT_INPUT: { code: 'MOE_ERR_REPROJECT_INPUT', message: 'cannot read the workspace to reproject' },
  REPLAY_MISMATCH: {
    code: 'MOE_ERR_REPLAY_MISMATCH',
    message: 'replayed state differs from the stored snapshot',
  },
  // moe search (cli/commands/search.ts): the node's refusals and no node hosting the workspace
  SEARCH_QUERY: SEARCH_ERROR_SPECS.SEARCH_QUERY,
  SEARCH_REQUEST: SEARCH_ERROR_SPECS.SEARCH_REQUEST,
  SEARCH_FAILED: SEARCH_ERROR_SPECS.SEARCH_FAILED,
  SEARCH_UNAVAILABLE: SEARCH_ERROR_SPECS.SEARCH_UNAVAILABLE,
  RESTORE_NONE_AT: {
    code: 'MOE_ERR_RESTORE_NONE_AT',
    message: 'no backup of the workspace was taken at or before the --at time',
    status: 404,
  },
});
