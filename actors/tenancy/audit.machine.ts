/**
 * The `audit` actor (`<org>._tenancy.audit.console`): the console's audit log. Every destructive
 * or deciding action the console takes (dead letter redrive / discard, task approve / deny) is
 * first sent here as an `audit.record` command, so it is journaled — who, what, on what, by which
 * role — before it happens. It only records: nothing it holds changes.
 */
import { setup } from 'xstate';
import type { AuditCommands } from '../../schemas/index.js';
import type { CommandEvents } from '../commandEvents.js';
import { kernelActions } from '../contract.js';

type AuditEvent = CommandEvents<typeof AuditCommands>;

export const auditMachine = setup({
  types: { context: {}, events: {} as AuditEvent },
  actions: kernelActions,
}).createMachine({
  id: 'audit',
  initial: 'open',
  context: {},
  states: {
    open: {
      on: {
        'audit.record': {
          actions: {
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
        },
      },
    },
  },
});
