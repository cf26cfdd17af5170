/**
 * The actor kinds the kernel can host: each kind's machine, its command schemas and the effects it
 * may emit. Adding a kind = a pure machine + its command schemas in `schemas/commands.ts` + a line
 * here (with its effect table when it emits effects).
 */
import type { AnyStateMachine, ContextFrom } from 'xstate';
import { BOARD_COMMANDS_BY_KIND, COMMANDS_BY_KIND, SystemCommands } from '../schemas/index.js';
import type { TSchema } from '@sinclair/typebox';
import { agentEffectInputs, agentMachine } from './agent.machine.js';
import { backupEffectInputs, backupMachine } from './backup.machine.js';
import { billingEffectInputs, billingMachine } from './billing.machine.js';
import { boardEffectInputs, boardMachine } from './board.machine.js';
import { cardEffectInputs, cardMachine } from './card.machine.js';
import { coordinatorEffectInputs, coordinatorMachine } from './coordinator.machine.js';
import {
  effectSpec,
  type AnyEffectSpec,
  type EffectInputs,
  type EffectKind,
  type EffectRequest,
} from './effects.js';
import { orgMachine } from './org.machine.js';
import { sessionEffectInputs, sessionMachine } from './session.machine.js';
import { TENANCY_MACHINES } from './tenancy/index.js';

export interface ActorKind {
  readonly kind: string;
  readonly machine: AnyStateMachine;
  /** command type → schema of its `data` (system commands included) */
  readonly commands: Readonly<Record<string, TSchema>>;
  /** the effect kinds its machine may emit */
  readonly effects: readonly EffectKind[];
  /**
   * What the handler of an effect this kind emitted gets: the journaled request plus the inputs
   * read from `context` (this kind's machine context). Undefined for an effect it does not declare.
   */
  readonly effectSpec: (request: EffectRequest, context: unknown) => AnyEffectSpec | undefined;
}

/**
 * @example
 *   defineActorKind('agent', agentMachine, agentEffectInputs);
 */
function kind<M extends AnyStateMachine>(
  name: string,
  machine: M,
  effects: EffectInputs<ContextFrom<M>> = {},
): ActorKind {
  return {
    kind: name,
    machine,
    commands: { ...(COMMANDS_BY_KIND[name] ?? BOARD_COMMANDS_BY_KIND[name]), ...SystemCommands },
    effects: Object.keys(effects) as EffectKind[],
    // the kernel passes the context of this kind's own machine
    effectSpec: (request, context) => effectSpec(effects, request, context as ContextFrom<M>),
  };
}

export type ActorRegistry = ReadonlyMap<string, ActorKind>;

export function defaultRegistry(extra: ActorKind[] = []): ActorRegistry {
  const kinds = [
    kind('session', sessionMachine, sessionEffectInputs),
    kind('agent', agentMachine, agentEffectInputs),
    kind('coordinator', coordinatorMachine, coordinatorEffectInputs),
    kind('org', orgMachine),
    kind('backup', backupMachine, backupEffectInputs),
    kind('billing', billingMachine, billingEffectInputs),
    kind('board', boardMachine, boardEffectInputs),
    kind('card', cardMachine, cardEffectInputs),
    ...Object.entries(TENANCY_MACHINES).map(([name, machine]) => kind(name, machine)),
    ...extra,
  ];
  return new Map(kinds.map((k) => [k.kind, k]));
}

export { kind as defineActorKind };
