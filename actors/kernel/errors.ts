/**
 * The kernel's error catalogue: the codes the actor kernel raises while it takes in, applies and
 * journals commands and runs their effects (dead letters, `effect.failed` records, logs). The codes
 * the machines put in their events are in actors/errors.ts. The workspace-node's catalogue includes
 * both, so a node process still has one catalogue. Documented in docs/errors.md (generated).
 */
import { defineErrors } from '../../schemas/index.js';

export const kernelErrors = defineErrors('kernel', {
  // connecting: MOE_NATS_CREDS names a file that is not there (actors/kernel/natsAuth.ts)
  NATS_CREDS_MISSING: {
    code: 'MOE_ERR_NATS_CREDS_MISSING',
    message: 'the NATS credentials file named by MOE_NATS_CREDS does not exist',
  },
  // intake: a command no actor can take (dead-lettered)
  BAD_COMMAND: { code: 'MOE_ERR_BAD_COMMAND', message: 'command does not match its schema', status: 400 },
  UNKNOWN_KIND: { code: 'MOE_ERR_UNKNOWN_KIND', message: 'no actor kind with that name', status: 400 },
  UNKNOWN_COMMAND: {
    code: 'MOE_ERR_UNKNOWN_COMMAND',
    message: 'command type not known for this actor kind',
    status: 400,
  },
  BAD_SUBJECT: {
    code: 'MOE_ERR_BAD_SUBJECT',
    message: 'subject is not moe.cmd.<org>.<ws>.<kind>.<id>',
    status: 400,
  },
  COMMAND_TOO_LARGE: {
    code: 'MOE_ERR_COMMAND_TOO_LARGE',
    message: 'command is larger than the maximum command size (MAX_COMMAND_BYTES, docs/subjects.md)',
    status: 413,
  },
  KIND_NOT_IN_WORKSPACE: {
    code: 'MOE_ERR_KIND_NOT_IN_WORKSPACE',
    message: 'tenancy actors live only in the _tenancy workspace',
    status: 400,
  },
  ACTOR_STOPPED: {
    code: 'MOE_ERR_ACTOR_STOPPED',
    message:
      'the actor was stopped by its restart policy; an operator restart (console) lets it run again, then redrive the letter',
    status: 409,
  },
  // turns and the journal
  TURN_TOO_LARGE: {
    code: 'MOE_ERR_TURN_TOO_LARGE',
    message: "the command's turn does not fit in one journal entry (server max_payload)",
    status: 413,
  },
  RESULT_TOO_LARGE: {
    code: 'MOE_ERR_RESULT_TOO_LARGE',
    message: "an effect's result does not fit in a command or journal entry",
    status: 413,
  },
  MACHINE_THREW: {
    code: 'MOE_ERR_MACHINE_THREW',
    message: 'the actor machine threw while applying a command',
    status: 500,
  },
  FENCED: {
    code: 'MOE_ERR_FENCED',
    message: 'another node appended to this actor first (fenced)',
    status: 409,
    retryable: true,
  },
  JOURNAL_UNAVAILABLE: {
    code: 'MOE_ERR_JOURNAL_UNAVAILABLE',
    message: 'journal append failed',
    status: 503,
    retryable: true,
  },
  JOURNAL_PURGED: {
    code: 'MOE_ERR_JOURNAL_PURGED',
    message:
      'journal entries this reader needs were purged after a verified backup, and no snapshot here covers them (restore from a snapshot or backup that covers the purge point)',
    status: 500,
  },
  CONSUMER_CONFLICT: {
    code: 'MOE_ERR_CONSUMER_CONFLICT',
    message: "a durable consumer with the workspace's consumer name filters another workspace's commands",
    status: 409,
  },
  // effects
  EFFECT_UNKNOWN: { code: 'MOE_ERR_EFFECT_UNKNOWN', message: 'no handler for this effect kind', status: 500 },
  EFFECT_FAILED: { code: 'MOE_ERR_EFFECT_FAILED', message: 'effect failed', status: 500, retryable: true },
  EFFECT_RETRIES_EXHAUSTED: {
    code: 'MOE_ERR_EFFECT_RETRIES_EXHAUSTED',
    message: 'effect failed after all retries',
    status: 500,
  },
});
