/**
 * The `workspace` actor (`<org>._tenancy.workspace.<wsId>`): a workspace's name, description and
 * lifecycle as the gateway shows it. The workspace's runtime actors (sessions, agents) live under
 * `moe.cmd.<org>.<wsId>.…`; this actor only says the workspace exists and who created it.
 */
import { assign, setup } from 'xstate';
import type { WorkspaceCommands } from '../../schemas/index.js';
import type { CommandEvents } from '../commandEvents.js';
import { kernelActions } from '../contract.js';

export interface WorkspaceContext {
  name: string;
  description: string;
  createdBy: string;
  createdAt: number;
}

type WorkspaceEvent = CommandEvents<typeof WorkspaceCommands>;

export const workspaceMachine = setup({
  types: { context: {} as WorkspaceContext, events: {} as WorkspaceEvent },
  actions: kernelActions,
}).createMachine({
  id: 'workspace',
  initial: 'new',
  context: { name: '', description: '', createdBy: '', createdAt: 0 },
  states: {
    new: {
      on: {
        'workspace.create': {
          target: 'active',
          actions: [
            assign(({ event }) => ({
              name: event.data.name,
              description: event.data.description ?? '',
              createdBy: event.data.createdBy,
              createdAt: event.at,
            })),
            {
              type: 'emit',
              params: ({ context }) => ({
                type: 'workspace.created',
                name: context.name,
                description: context.description,
                createdBy: context.createdBy,
                createdAt: context.createdAt,
              }),
            },
          ],
        },
      },
    },
    active: {
      on: {
        'workspace.update': {
          actions: [
            assign(({ context, event }) => ({
              name: event.data.name ?? context.name,
              description: event.data.description ?? context.description,
            })),
            {
              type: 'emit',
              params: ({ context }) => ({
                type: 'workspace.updated',
                name: context.name,
                description: context.description,
              }),
            },
          ],
        },
        'workspace.delete': {
          target: 'deleted',
          actions: { type: 'emit', params: { type: 'workspace.deleted' } },
        },
      },
    },
    deleted: { type: 'final' },
  },
});
