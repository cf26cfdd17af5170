/**
 * The `user` actor (global, `_global._tenancy.user.<id>`): registered once, its id derived from the
 * email by the gateway so two concurrent registrations of one email meet in one actor and the
 * second is rejected. Holds only the password hash (computed outside: machines stay pure).
 */
import { assign, setup } from 'xstate';
import type { UserCommands, PasswordHash } from '../../schemas/index.js';
import type { CommandEvents } from '../commandEvents.js';
import { kernelActions } from '../contract.js';

export interface UserContext {
  email: string;
  name: string;
  password: PasswordHash | null;
  registeredAt: number;
}

type UserEvent = CommandEvents<typeof UserCommands>;

export const userMachine = setup({
  types: { context: {} as UserContext, events: {} as UserEvent },
  actions: kernelActions,
}).createMachine({
  id: 'user',
  initial: 'new',
  context: { email: '', name: '', password: null, registeredAt: 0 },
  states: {
    new: {
      on: {
        'user.register': {
          target: 'active',
          actions: [
            assign(({ event }) => ({
              email: event.data.email,
              name: event.data.name,
              password: event.data.password,
              registeredAt: event.at,
            })),
            {
              type: 'emit',
              params: ({ event }) => ({
                type: 'user.registered',
                email: event.data.email,
                name: event.data.name,
                password: event.data.password,
              }),
            },
          ],
        },
      },
    },
    active: {
      on: {
        'user.password.set': {
          actions: [
            assign(({ event }) => ({ password: event.data.password })),
            {
              type: 'emit',
              params: ({ event }) => ({ type: 'user.password.changed', password: event.data.password }),
            },
          ],
        },
      },
    },
  },
});
