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
});
