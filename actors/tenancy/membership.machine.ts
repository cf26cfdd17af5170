/**
 * The `membership` actor (`<org>._tenancy.membership.<org>`): who belongs to an org and with which
 * role (owner / admin / member / viewer). The first member must be an owner, and no change may
 * leave the org without one: the invariant lives here, so every gateway replica gets it for free.
 */
import { assign, setup } from 'xstate';
import type { MembershipCommands, OrgRole } from '../../schemas/index.js';
import type { CommandEvents } from '../commandEvents.js';
import { kernelActions } from '../contract.js';

export interface MembershipContext {
  members: Record<string, OrgRole>;
}

type MembershipEvent = CommandEvents<typeof MembershipCommands>;

function owners(members: Record<string, OrgRole>): number {
  return Object.values(members).filter((r) => r === 'owner').length;
}

export const membershipMachine = setup({
  types: { context: {} as MembershipContext, events: {} as MembershipEvent },
  actions: kernelActions,
  guards: {
    isFirstOwner: ({ event }) => event.type === 'member.add' && event.data.role === 'owner',
    isNewMember: ({ context, event }) =>
      event.type === 'member.add' && context.members[event.data.user] === undefined,
    keepsAnOwner: ({ context, event }) => {
      if (event.type === 'member.add') return true;
      const current = context.members[event.data.user];
      if (current === undefined) return false;
      const next = { ...context.members };
      if (event.type === 'member.remove') delete next[event.data.user];
      else next[event.data.user] = event.data.role;
      return owners(next) > 0;
    },
  },
}).createMachine({
  id: 'membership',
  initial: 'empty',
  context: { members: {} },
  states: {
    empty: {
      on: {
        'member.add': {
          guard: 'isFirstOwner',
          target: 'active',
          actions: [
            assign(({ event }) => ({ members: { [event.data.user]: event.data.role } })),
            {
              type: 'emit',
              params: ({ event }) => ({ type: 'member.added', user: event.data.user, role: event.data.role }),
            },
          ],
        },
      },
    },
    active: {
      on: {
        'member.add': {
          guard: 'isNewMember',
          actions: [
            assign(({ context, event }) => ({
              members: { ...context.members, [event.data.user]: event.data.role },
            })),
            {
              type: 'emit',
              params: ({ event }) => ({ type: 'member.added', user: event.data.user, role: event.data.role }),
            },
          ],
        },
        'member.role.set': {
          guard: 'keepsAnOwner',
          actions: [
            assign(({ context, event }) => ({
              members: { ...context.members, [event.data.user]: event.data.role },
            })),
            {
              type: 'emit',
              params: ({ event }) => ({
                type: 'member.role.changed',
                user: event.data.user,
                role: event.data.role,
              }),
            },
          ],
        },
        'member.remove': {
          guard: 'keepsAnOwner',
          actions: [
            assign(({ context, event }) => {
              const members = { ...context.members };
              delete members[event.data.user];
              return { members };
            }),
            { type: 'emit', params: ({ event }) => ({ type: 'member.removed', user: event.data.user }) },
          ],
        },
      },
    },
  },
});
