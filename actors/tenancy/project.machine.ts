/**
 * The `project` actor (`<org>._tenancy.project.<id>`): a project in one workspace, the users and
 * teams it grants access to, and its agent configuration (seed 002 agent-config). Org owners and
 * admins see every project; other members see the projects granted to them or to one of their teams.
 */
import { assign, setup } from 'xstate';
import type { ProjectCommands, AgentConfig, LaneWorkflows } from '../../schemas/index.js';
import type { CommandEvents } from '../commandEvents.js';
import { kernelActions } from '../contract.js';

export interface ProjectContext {
  workspace: string;
  name: string;
  description: string;
  users: string[];
  teams: string[];
  agents: AgentConfig[];
  /** lane id → workflow (seed 002 agent-config); absent in snapshots written before boards */
  workflows?: LaneWorkflows;
  createdBy: string;
  createdAt: number;
}

type ProjectEvent = CommandEvents<typeof ProjectCommands>;

const withGrant = (list: string[], id: string | undefined) =>
  id === undefined || list.includes(id) ? list : [...list, id];
const withoutGrant = (list: string[], id: string | undefined) => list.filter((x) => x !== id);

export const projectMachine = setup({
  types: { context: {} as ProjectContext, events: {} as ProjectEvent },
  actions: kernelActions,
  guards: {
    namesSomeone: ({ event }) =>
      (event.type === 'project.grant' || event.type === 'project.revoke') &&
      (event.data.user !== undefined || event.data.team !== undefined),
  },
}).createMachine({
  id: 'project',
  initial: 'new',
  context: {
    workspace: '',
    name: '',
    description: '',
    users: [],
    teams: [],
    agents: [],
    createdBy: '',
    createdAt: 0,
  },
  states: {
    new: {
      on: {
        'project.create': {
          target: 'active',
          actions: [
            assign(({ event }) => ({
              workspace: event.data.workspace,
              name: event.data.name,
              description: event.data.description ?? '',
              createdBy: event.data.createdBy,
              createdAt: event.at,
            })),
            {
              type: 'emit',
              params: ({ context }) => ({
                type: 'project.created',
                workspace: context.workspace,
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
        'project.update': {
          actions: [
            assign(({ context, event }) => ({
              name: event.data.name ?? context.name,
              description: event.data.description ?? context.description,
            })),
            {
              type: 'emit',
              params: ({ context }) => ({
                type: 'project.updated',
                name: context.name,
                description: context.description,
              }),
            },
          ],
        },
        'project.grant': {
          guard: 'namesSomeone',
          actions: [
            assign(({ context, event }) => ({
              users: withGrant(context.users, event.data.user),
              teams: withGrant(context.teams, event.data.team),
            })),
            {
              type: 'emit',
              params: ({ context }) => ({
                type: 'project.access.changed',
                users: context.users,
                teams: context.teams,
              }),
            },
          ],
        },
        'project.revoke': {
          guard: 'namesSomeone',
          actions: [
            assign(({ context, event }) => ({
              users: withoutGrant(context.users, event.data.user),
              teams: withoutGrant(context.teams, event.data.team),
            })),
            {
              type: 'emit',
              params: ({ context }) => ({
                type: 'project.access.changed',
                users: context.users,
                teams: context.teams,
              }),
            },
          ],
        },
        'project.agents.set': {
          actions: [
            assign(({ event }) => ({
              agents: event.data.agents,
              ...(event.data.workflows ? { workflows: event.data.workflows } : {}),
            })),
            {
              type: 'emit',
              params: ({ context }) => ({
                type: 'project.agents.changed',
                agents: context.agents,
                ...(context.workflows ? { workflows: context.workflows } : {}),
              }),
            },
          ],
        },
        'project.delete': {
          target: 'deleted',
          actions: { type: 'emit', params: { type: 'project.deleted' } },
        },
      },
    },
    deleted: { type: 'final' },
  },
});
