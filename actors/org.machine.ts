/**
 * The `org` actor (seed 000's top tenant): exists once created and owns its workspaces.
 * Teams, users and projects join it in the tenancy work; the shape stays a pure machine.
 */
import { assign, setup } from 'xstate';
import { kernelActions, type KernelEvent } from './contract.js';

export interface OrgContext {
  name: string;
  createdAt: number;
  workspaces: Record<string, { name: string; addedAt: number }>;
}

type OrgEvent =
  | KernelEvent<'org.create', { name: string }>
  | KernelEvent<'workspace.add', { workspace: string; name?: string }>
  | KernelEvent<'effect.result', { effectId: string; value: unknown }>
  | KernelEvent<'effect.failed', { effectId: string; error: { code: string; message: string } }>
  | KernelEvent<'timer.fired', { effectId: string }>;

export const orgMachine = setup({
  types: { context: {} as OrgContext, events: {} as OrgEvent },
  actions: kernelActions,
  guards: {
    isNewWorkspace: ({ context, event }) =>
      event.type === 'workspace.add' && context.workspaces[event.data.workspace] === undefined,
  },
}).createMachine({
  id: 'org',
  initial: 'new',
  context: { name: '', createdAt: 0, workspaces: {} },
  states: {
    new: {
      on: {
        'org.create': {
          target: 'active',
          actions: [
            assign(({ event }) => ({ name: event.data.name, createdAt: event.at })),
            {
              type: 'emit',
              params: ({ event }) => ({ type: 'org.created', name: event.data.name, createdAt: event.at }),
            },
          ],
        },
      },
    },
    active: {
      on: {
        'workspace.add': {
          guard: 'isNewWorkspace',
          actions: [
            assign(({ context, event }) => ({
              workspaces: {
                ...context.workspaces,
                [event.data.workspace]: { name: event.data.name ?? event.data.workspace, addedAt: event.at },
              },
            })),
            {
              type: 'emit',
              params: ({ event }) => ({ type: 'workspace.added', workspace: event.data.workspace }),
            },
          ],
        },
      },
    },
  },
});
