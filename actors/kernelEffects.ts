/**
 * The effects any actor kind may emit and the kernel knows how to carry out: a durable `timer`
 * (the kernel schedules it itself) and `actor.send` (a command to another actor). Each type is the
 * effect exactly as the machine emits it and the journal stores it. (Type aliases, not interfaces:
 * they must fit the journal's loose `EffectSpec` record.)
 */

/** Fires `timer.fired {effectId}` back to the actor at `fireAt` (epoch ms). */
export type TimerRequest = {
  readonly id: string;
  readonly kind: 'timer';
  readonly fireAt: number;
};

/**
 * The target of an `actor.send`. A pure machine does not know its own address, so `org` and `ws`
 * default to the sender's, and `child: 'e1'` names the sender's child `<sender id>-e1`.
 */
export type SendTarget = { readonly kind: string; readonly org?: string; readonly ws?: string } & (
  { readonly id: string; readonly child?: never } | { readonly child: string; readonly id?: never }
);

/** Publishes command `type` with `data` to the target actor. */
export type ActorSendRequest = {
  readonly id: string;
  readonly kind: 'actor.send';
  readonly to: SendTarget;
  /** the command type the target receives */
  readonly type: string;
  readonly data?: Readonly<Record<string, unknown>>;
  /** true: `data.parent` gets the sender's kind and id, so the target can report back */
  readonly replyTo?: true;
};

/** Effects every kind may emit, on `kind`. */
export type KernelEffectRequest = TimerRequest | ActorSendRequest;
