/**
 * Effect dispatch: which handler runs an effect, and exactly what it gets.
 *
 * Handlers are registered per kind and typed with that kind's spec (`SpecOf<K>`, see
 * actors/effects.ts). When an effect starts, the emitting actor's kind completes the journaled
 * request with the inputs it declares (an `llm.call` gets the conversation): no handler sees an
 * actor's context. An effect with no handler, or one its actor's kind does not declare, is refused
 * with a terminal `MOE_ERR_EFFECT_UNKNOWN`, which ends in `effect.failed`.
 */
import type { ActorAddress, EffectSpec } from '../../schemas/index.js';
import { kernelErrors as errors } from './errors.js';
import type { EffectKind, EffectRequest, SpecOf } from '../effects.js';
import type { ActorRegistry } from '../registry.js';
import type { EffectHandler, EffectInvocation } from './effects.js';

/** What the handler of kind K is called with: the invocation, its `effect` typed as K's spec. */
export type InvocationOf<K extends EffectKind> = Omit<EffectInvocation, 'effect'> & {
  readonly effect: SpecOf<K>;
};

export type EffectHandlerOf<K extends EffectKind> = (inv: InvocationOf<K>) => Promise<unknown>;

/** Handlers keyed by the kind they run. Timers need none: the scheduler fires them itself. */
export type EffectHandlers = { readonly [K in Exclude<EffectKind, 'timer'>]?: EffectHandlerOf<K> };

/**
 * The handler table as the kernel takes it (`WorkspaceKernelOptions.effects`).
 *
 * @example
 *   effectHandlers({ 'tool.run': toolRunHandler(deps), 'actor.send': actorSendHandler(publisher) });
 */
export function effectHandlers(table: EffectHandlers): Map<string, EffectHandler> {
  // Sound: `EffectDispatch.run` calls each handler only with an effect of its own kind.
  return new Map(Object.entries(table) as unknown as Array<[string, EffectHandler]>);
}

export class EffectDispatch {
  constructor(
    private readonly handlers: ReadonlyMap<string, EffectHandler>,
    private readonly registry: ActorRegistry,
  ) {}

  /**
   * The spec the handler of `request` gets: the request plus the inputs the actor's kind reads
   * from `actorContext`. The request as it is when the kind does not declare it (`run` refuses it).
   */
  specOf(address: ActorAddress, request: EffectSpec, actorContext: unknown): EffectSpec {
    const kind = this.registry.get(address.kind);
    return kind?.effectSpec(request as EffectRequest, actorContext) ?? request;
  }

  /** Runs the handler of `inv.effect.kind`, or refuses the effect (see the module comment). */
  readonly run: EffectHandler = (inv) => {
    const { kind } = inv.effect;
    const handler = this.handlers.get(kind);
    if (!handler) return Promise.reject(errors.EFFECT_UNKNOWN(kind));
    const declared = this.registry.get(inv.address.kind)?.effects.includes(kind as EffectKind) === true;
    if (!declared)
      return Promise.reject(
        errors.EFFECT_UNKNOWN(`${kind}, which actor kind ${inv.address.kind} does not declare`),
      );
    return handler(inv);
  };
}
