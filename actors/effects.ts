/**
 * Every effect a machine may ask for, as one union discriminated on `kind`, and what the handler
 * of each kind gets. The effect types themselves are declared beside the machines that emit them
 * (`kernelEffects.ts`, `agentEffects.ts`, `backupEffects.ts`); this file only joins them.
 *
 *   RequestOf<K>  the effect as the machine emits it and the journal stores it
 *   InputsOf<K>   what its handler also needs from the emitting actor's context (the conversation
 *                 of an `llm.call`, the project of a `tool.run`), read when the effect runs
 *   SpecOf<K>     the two together: exactly what the handler of kind K gets
 *
 * Each actor kind declares the effects it may emit, and how each reads its inputs from the kind's
 * context, as an {@link EffectInputs} table (see `registry.ts`): only the module that owns a
 * context reads it.
 */
import type { AgentEffectRequest, LlmCallInputs, ToolRunInputs } from './agentEffects.js';
import type { BackupEffectRequest } from './backupEffects.js';
import type { BillingEffectRequest } from './billingEffects.js';
import type { KernelEffectRequest } from './kernelEffects.js';

/** An effect a machine asks for. `id` must be unique within the actor: use `fx`. */
export type EffectRequest =
  KernelEffectRequest | AgentEffectRequest | BackupEffectRequest | BillingEffectRequest;

export type EffectKind = EffectRequest['kind'];

export type RequestOf<K extends EffectKind> = Extract<EffectRequest, { readonly kind: K }>;

/** An effect whose handler needs nothing beyond its request. */
export type NoInputs = Record<never, never>;

/** Every kind must be listed: `InputsOf` fails to compile for a kind missing here. */
interface InputsByKind {
  readonly timer: NoInputs;
  readonly 'actor.send': NoInputs;
  readonly 'llm.call': LlmCallInputs;
  readonly 'tool.run': ToolRunInputs;
  readonly 'backup.run': NoInputs;
  readonly 'backup.verify': NoInputs;
  readonly 'journal.purge': NoInputs;
  readonly 'invoice.issue': NoInputs;
  readonly 'invoice.push': NoInputs;
}

export type InputsOf<K extends EffectKind> = InputsByKind[K];

export type SpecOf<K extends EffectKind> = RequestOf<K> & InputsOf<K>;

/** The spec of any kind, discriminated on `kind`. */
export type AnyEffectSpec = { [K in EffectKind]: SpecOf<K> }[EffectKind];

/**
 * The effects an actor kind may emit, each with how its inputs are read from the kind's context
 * `C`. A kind that emits an effect not in its table has that effect refused when it runs.
 *
 * @example
 *   const agentEffectInputs: EffectInputs<AgentContext> = {
 *     'llm.call': (c) => ({ messages: c.messages, script: c.script }),
 *     'actor.send': noInputs,
 *   };
 */
export type EffectInputs<C> = { readonly [K in EffectKind]?: (context: C) => InputsOf<K> };

export const noInputs = (): NoInputs => ({});

/**
 * The spec `request`'s handler gets: the request plus the inputs `table` reads from `context`;
 * undefined when the table does not declare the request's kind.
 */
export function effectSpec<C>(
  table: EffectInputs<C>,
  request: EffectRequest,
  context: C,
): AnyEffectSpec | undefined {
  const read = table[request.kind];
  return read ? ({ ...request, ...read(context) } as AnyEffectSpec) : undefined;
}
