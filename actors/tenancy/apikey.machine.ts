/**
 * The `apikey` actor (`<org>._tenancy.apikey.<id>`): an API key scoped to an org (and optionally one
 * project) with a role. Only the sha256 of the secret is journaled. `apikey.touch` records the
 * last-used time (the gateway sends it at most once a minute per key); a revoked key is final.
 */
import { assign, setup } from 'xstate';
import type { ApiKeyCommands, OrgRole } from '../../schemas/index.js';
import type { CommandEvents } from '../commandEvents.js';
import { kernelActions } from '../contract.js';

export interface ApiKeyContext {
  name: string;
  hash: string;
  role: OrgRole;
  project: string | null;
  createdBy: string;
  createdAt: number;
  lastUsedAt: number | null;
  /** a platform operator's key */
  platformOperator: boolean;
}

type ApiKeyEvent = CommandEvents<typeof ApiKeyCommands>;

export const apikeyMachine = setup({
  types: { context: {} as ApiKeyContext, events: {} as ApiKeyEvent },
  actions: kernelActions,
}).createMachine({
  id: 'apikey',
  initial: 'new',
  context: {
    name: '',
    hash: '',
    role: 'viewer',
    project: null,
    createdBy: '',
    createdAt: 0,
    lastUsedAt: null,
    platformOperator: false,
  },
  states: {
    new: {
      on: {
        'apikey.create': {
          target: 'active',
          actions: [
            assign(({ event }) => ({
              name: event.data.name,
              hash: event.data.hash,
              role: event.data.role,
              project: event.data.project ?? null,
              createdBy: event.data.createdBy,
              createdAt: event.at,
              platformOperator: event.data.platformOperator === true,
            })),
            {
              type: 'emit',
              params: ({ context }) => ({
                type: 'apikey.created',
                name: context.name,
                hash: context.hash,
                role: context.role,
                project: context.project,
                createdBy: context.createdBy,
                createdAt: context.createdAt,
                ...(context.platformOperator ? { platformOperator: true } : {}),
              }),
            },
          ],
        },
      },
    },
    active: {
      on: {
        'apikey.touch': {
          actions: [
            assign(({ event }) => ({ lastUsedAt: event.at })),
            { type: 'emit', params: ({ event }) => ({ type: 'apikey.used', at: event.at }) },
          ],
        },
        'apikey.revoke': {
          target: 'revoked',
          actions: { type: 'emit', params: ({ event }) => ({ type: 'apikey.revoked', at: event.at }) },
        },
      },
    },
    revoked: { type: 'final' },
  },
});
