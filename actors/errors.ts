/**
 * The codes the machines themselves put in their events (never thrown: a machine is pure, so a bad
 * reply becomes an event with a code, not an exception). The workspace-node's catalogue includes
 * these and the kernel's, so a node process still has one catalogue. Documented in docs/errors.md
 * (generated).
 */
import { defineErrors } from '../schemas/index.js';

export const machineErrors = defineErrors('machines', {
  PLAN_INVALID: {
    code: 'MOE_ERR_PLAN_INVALID',
    message: 'the coordinator could not read a plan from the reply and no experts were named',
    status: 422,
  },
  SESSION_EXPIRED: {
    code: 'MOE_ERR_SESSION_EXPIRED',
    message: 'the session lease has expired; renew the session to send it tasks',
    status: 410,
  },
  WIP_LIMIT: {
    code: 'MOE_ERR_WIP_LIMIT',
    message: 'the lane is at its WIP limit: move a card out of it first',
    status: 409,
  },
  LANE_UNKNOWN: {
    code: 'MOE_ERR_LANE_UNKNOWN',
    message: 'the board has no lane with this id',
    status: 422,
  },
  LANE_NOT_EMPTY: {
    code: 'MOE_ERR_LANE_NOT_EMPTY',
    message: 'the lane still holds cards: move or delete them before removing the lane',
    status: 409,
  },
  CARD_UNKNOWN: {
    code: 'MOE_ERR_CARD_UNKNOWN',
    message: 'the card is not on this board (never added, or removed)',
    status: 404,
  },
  CARD_EXISTS: {
    code: 'MOE_ERR_CARD_EXISTS',
    message: 'a card with this id is already on the board',
    status: 409,
  },
  AGENT_UNKNOWN: {
    code: 'MOE_ERR_AGENT_UNKNOWN',
    message: "the agent is not in the project's agent-config (nor in the lane workflow)",
    status: 422,
  },
  STEP_FAILED: {
    code: 'MOE_ERR_WORKFLOW_STEP_FAILED',
    message: 'an agent step of the lane workflow failed and the lane names no failureLane',
    status: 409,
  },
  APPROVAL_DENIED: {
    code: 'MOE_ERR_WORKFLOW_DENIED',
    message: 'a person denied the result of a lane workflow whose exitCriteria is approved',
    status: 409,
  },
  CARD_CREATE_REFUSED: {
    code: 'MOE_ERR_CARD_CREATE_REFUSED',
    message:
      "a card.create (an agent's create_card) was refused: its lane names no cardsTo, the agent is not one of the running step's, or the workflow reached its maximum",
    status: 409,
  },
  EXIT_CRITERIA_UNMET: {
    code: 'MOE_ERR_EXIT_CRITERIA_UNMET',
    message:
      "every step of a lane workflow completed but its agents did not do what the lane's exitCriteria asks (files_written, file:<path>, cards_created)",
    status: 409,
  },
  PERIOD_OPEN: {
    code: 'MOE_ERR_PERIOD_OPEN',
    message: 'the billing period has not ended yet: only a closed period is invoiced',
    status: 409,
  },
  PERIOD_INVALID: {
    code: 'MOE_ERR_PERIOD_INVALID',
    message: "the label names no period of the workspace's billing (YYYY-MM for months, YYYY-MM-DD for days)",
    status: 422,
  },
  TIME_ZONE_UNKNOWN: {
    code: 'MOE_ERR_TIME_ZONE_UNKNOWN',
    message: 'not an IANA time zone this runtime knows',
    status: 422,
  },
});
