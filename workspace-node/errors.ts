/**
 * The workspace-node's error catalogue (kernel, effects, providers, tools): stable codes that
 * journal records, dead letters and logs carry. Documented in docs/errors.md (generated).
 */
import { defineErrors } from '../schemas/index.js';

export const errors = defineErrors('workspace-node', {
  BAD_COMMAND: { code: 'MOE_ERR_BAD_COMMAND', message: 'command does not match its schema', status: 400 },
  UNKNOWN_KIND: { code: 'MOE_ERR_UNKNOWN_KIND', message: 'no actor kind with that name', status: 400 },
  UNKNOWN_COMMAND: { code: 'MOE_ERR_UNKNOWN_COMMAND', message: 'command type not known for this actor kind', status: 400 },
  BAD_SUBJECT: { code: 'MOE_ERR_BAD_SUBJECT', message: 'subject is not moe.cmd.<org>.<ws>.<kind>.<id>', status: 400 },
  MACHINE_THREW: { code: 'MOE_ERR_MACHINE_THREW', message: 'the actor machine threw while applying a command', status: 500 },
  FENCED: { code: 'MOE_ERR_FENCED', message: 'another node appended to this actor first (fenced)', status: 409, retryable: true },
  JOURNAL_UNAVAILABLE: { code: 'MOE_ERR_JOURNAL_UNAVAILABLE', message: 'journal append failed', status: 503, retryable: true },
  EFFECT_UNKNOWN: { code: 'MOE_ERR_EFFECT_UNKNOWN', message: 'no handler for this effect kind', status: 500 },
  EFFECT_FAILED: { code: 'MOE_ERR_EFFECT_FAILED', message: 'effect failed', status: 500, retryable: true },
  EFFECT_RETRIES_EXHAUSTED: { code: 'MOE_ERR_EFFECT_RETRIES_EXHAUSTED', message: 'effect failed after all retries', status: 500 },
  PROVIDER_UNKNOWN: { code: 'MOE_ERR_PROVIDER_UNKNOWN', message: 'no provider configured under that name', status: 400 },
  SCRIPT_EXHAUSTED: { code: 'MOE_ERR_SCRIPT_EXHAUSTED', message: 'scripted provider has no step left', status: 500 },
  TOOL_UNKNOWN: { code: 'MOE_ERR_TOOL_UNKNOWN', message: 'no tool with that name', status: 400 },
  PATH_OUTSIDE_WORKSPACE: { code: 'MOE_ERR_PATH_OUTSIDE_WORKSPACE', message: 'path escapes the workspace root', status: 403 },
  TOOL_INPUT: { code: 'MOE_ERR_TOOL_INPUT', message: 'tool input is invalid', status: 400 },
  PLACEMENT_HELD: { code: 'MOE_ERR_PLACEMENT_HELD', message: 'workspace is placed on another live node', status: 409, retryable: true },
  CONFIG: { code: 'MOE_ERR_CONFIG', message: 'invalid configuration', status: 500 },
});
