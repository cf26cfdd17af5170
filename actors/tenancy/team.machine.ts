/**
 * The `team` actor (`<org>._tenancy.team.<id>`): a named group of org members. Projects grant
 * access to teams; a deleted team grants nothing and accepts no command.
 */
import { assign, setup } from 'xstate';
import type { TeamCommands } from '../../schemas/index.js';
import type { CommandEvents } from '../commandEvents.js';
import { kernelActions } from '../contract.js';

export interface TeamContext {
  name: string;
  members: string[];
  createdBy: string;
  createdAt: number;
}

type TeamEvent = CommandEvents<typeof TeamCommands>;

export const teamMachine = setup({
  types: { context: {} as TeamContext, events: {} as TeamEvent },
  actions: kernelActions,
  guards: {
    notMember: ({ context, event }) =>
      event.type === 'team.member.add' && !context.members.includes(event.data.user),
    isMember: ({ context, event }) =>
      event.type === 'team.member.remove' && context.members.includes(event.data.user),
  },
}).createMachine({
  id: 'team',
  initial: 'new',
  context: { name: '', members: [], createdBy: '', createdAt: 0 },
  states: {
    new: {
      on: {
        'team.create': {
          target: 'active',
          actions: [
            assign(({ event }) => ({
              name: event.data.name,
              createdBy: event.data.createdBy,
              createdAt: event.at,
            })),
            {
              type: 'emit',
              params: ({ event }) => ({
                type: 'team.created',
                name: event.data.name,
                createdBy: event.data.createdBy,
              }),
            },
          ],
        },
      },
    },
    active: {
      on: {
        'team.member.add': {
          guard: 'notMember',
          actions: [
            assign(({ context, event }) => ({ members: [...context.members, event.data.user] })),
            { type: 'emit', params: ({ event }) => ({ type: 'team.member.added', user: event.data.user }) },
          ],
        },
        'team.member.remove': {
          guard: 'isMember',
          actions: [
            assign(({ context, event }) => ({
              members: context.members.filter((u) => u !== event.data.user),
            })),
            { type: 'emit', params: ({ event }) => ({ type: 'team.member.removed', user: event.data.user }) },
          ],
        },
        'team.delete': { target: 'deleted', actions: { type: 'emit', params: { type: 'team.deleted' } } },
      },
    },
    deleted: { type: 'final' },
  },
});
