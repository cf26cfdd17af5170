/** The CLI's error catalogue: what `moe` prints (with its code) before exiting non-zero. */
import { defineErrors } from '../schemas/index.js';

export const errors = defineErrors('cli', {
  USAGE: { code: 'MOE_ERR_USAGE', message: 'invalid command line', status: 400 },
  NATS_SERVER_MISSING: {
    code: 'MOE_ERR_NATS_SERVER_MISSING',
    message: 'no NATS server reachable and no nats-server binary found',
  },
  NATS_START_FAILED: {
    code: 'MOE_ERR_NATS_START_FAILED',
    message: 'could not start the embedded nats-server',
  },
  NATS_NO_JETSTREAM: { code: 'MOE_ERR_NATS_NO_JETSTREAM', message: 'the NATS server has JetStream disabled' },
  NATS_UNREACHABLE: { code: 'MOE_ERR_NATS_UNREACHABLE', message: 'cannot connect to NATS', retryable: true },
  TASK_TIMEOUT: { code: 'MOE_ERR_TASK_TIMEOUT', message: 'the task did not finish in time', retryable: true },
  REPLAY_INPUT: { code: 'MOE_ERR_REPLAY_INPUT', message: 'cannot read the replay input' },
  REPROJECT_INPUT: { code: 'MOE_ERR_REPROJECT_INPUT', message: 'cannot read the workspace to reproject' },
  REPLAY_MISMATCH: {
    code: 'MOE_ERR_REPLAY_MISMATCH',
    message: 'replayed state differs from the stored snapshot',
  },
});
