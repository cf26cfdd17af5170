/**
 * The actor kinds the kernel can host: each kind's machine and its command schemas.
 * Adding a kind = a pure machine + its command schemas in `schemas/commands.ts` + a line here.
 */
import type { AnyStateMachine } from 'xstate';
import { COMMANDS_BY_KIND, SystemCommands } from '../schemas/index.js';
import type { TSchema } from '@sinclair/typebox';
import { agentMachine } from './agent.machine.js';
import { coordinatorMachine } from './coordinator.machine.js';
import { orgMachine } from './org.machine.js';
import { sessionMachine } from './session.machine.js';
import { TENANCY_MACHINES } from './tenancy/index.js';

export interface ActorKind {
  readonly kind: string;
  readonly machine: AnyStateMachine;
  /** command type → schema of its `data` (system commands included) */
  readonly commands: Readonly<Record<string, TSchema>>;
}

function kind(name: string, machine: AnyStateMachine): ActorKind {
  return { kind: name, machine, commands: { ...COMMANDS_BY_KIND[name], ...SystemCommands } };
}

export type ActorRegistry = ReadonlyMap<string, ActorKind>;

export function defaultRegistry(extra: ActorKind[] = []): ActorRegistry {
  const kinds = [
    kind('session', sessionMachine),
    kind('agent', agentMachine),
    kind('coordinator', coordinatorMachine),
    kind('org', orgMachine),
    ...Object.entries(TENANCY_MACHINES).map(([name, machine]) => kind(name, machine)),
    ...extra,
  ];
  return new Map(kinds.map((k) => [k.kind, k]));
}

export { kind as defineActorKind };
