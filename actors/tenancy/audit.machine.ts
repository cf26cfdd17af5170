/**
 * The `audit` actor (`<org>._tenancy.audit.console`): the console's audit log. Every destructive
 * or deciding action the console takes (dead letter redrive / discard, task approve / deny) is
 * first sent here as an `audit.record` command, so it is journaled — who, what, on what, by which
 * role — before it happens. It only records; its context counts the records (a turn that changes
 * nothing would count as rejected by the kernel).
 */
import { assign, setup } from 'xstate';
import type { AuditCommands } from '../../schemas/index.js';
import type { CommandEvents } from '../commandEvents.js';
import { kernelActions } from '../contract.js';

type AuditEvent = CommandEvents<typeof AuditCommands>;

export interface AuditContext {
  recorded: number;
}

export const auditMachine = setup({
  types: { context: {} as AuditContext, events: {} as AuditEvent },
  actions: kernelActions,
}).createMachine({
  id: 'audit',
  initial: 'open',
  context: { recorded: 0 },
  states: {
    open: {
      on: {
        'audit.record': {
          actions: [
            assign(({ context }) => ({ recorded: context.recorded + 1 })),
            {
              type: 'emit',
              params: ({ event }) => ({
                type: 'audit.recorded',
                action: event.data.action,
                target: event.data.target,
                by: event.data.by,
                role: event.data.role,
                detail: event.data.detail ?? null,
                at: event.at,
              }),
            },
          ],
        },
      },
    },
  },
});
