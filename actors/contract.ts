/**
 * The contract between pure machines and the kernel that hosts them.
 *
 * A machine never does I/O. It receives {@link KernelEvent}s (a validated command plus the time
 * and turn number the kernel stamped on it) and declares what should happen with three actions:
 *
 * - `effect`  start an effect (LLM call, tool run, durable timer, message to another actor). The
 *             kernel runs it only after the turn is durable; its outcome comes back as an
 *             `effect.result` / `effect.failed` / `timer.fired` command with the same `effectId`.
 * - `emit`    publish a domain event in this turn of the journal (`task.completed`, …).
 * - `cancel`  cancel a pending effect (a timer, usually).
 *
 * Effect ids are chosen by the machine from the turn number (`fx(event, i)`), so a machine can
 * correlate results without any randomness, and a re-driven effect keeps its id.
 */
import type { MachineEvent } from '../schemas/index.js';
import type { EffectRequest } from './effects.js';

/** What a machine sees for every command. */
export interface KernelEvent<T extends string = string, D = Record<string, unknown>> {
  readonly type: T;
  readonly data: D;
  /** the command id (idempotency key) */
  readonly id: string;
  /** epoch ms the command was stored in MOE_CMD: the only clock a machine may read */
  readonly at: number;
  /** the turn this command is being applied in (1-based, per actor) */
  readonly turn: number;
  /** the session this actor belongs to */
  readonly session: string;
}

/** An effect a machine asks for (`id` unique within the actor: use {@link fx}): one of `effects.ts`. */
export type { EffectRequest };

/** A domain event a machine emits: one of the event schemas of `schemas/` (a union on `type`). */
export type EmitRequest = MachineEvent;

export interface CancelRequest {
  readonly effectId: string;
}

/** The effect id of the `index`-th effect started in the turn of `event`. */
export function fx(event: { turn: number }, index = 0): string {
  return `${event.turn}.${index}`;
}

/**
 * Action implementations to spread into `setup({ actions })`. They do nothing when run: the
 * kernel reads them, with their resolved params, from `transition()`'s action list.
 */
export const kernelActions = {
  effect: (_: unknown, _params: EffectRequest) => {},
  emit: (_: unknown, _params: EmitRequest) => {},
  cancel: (_: unknown, _params: CancelRequest) => {},
};

/** Tag a state with this to report `status: 'error'` in the journal's turns. */
export const FAILED_TAG = 'failed';

/**
 * Tag a non-final state with this when the actor's work is finished but it can still take commands
 * (an agent that answered, waiting for a follow-up message): its turns report `status: 'done'`
 * and its persisted snapshot says `status: 'done'`, as a final state's does, so journals and
 * snapshots written before the state could take commands read the same (see machineHost.ts).
 */
export const FINISHED_TAG = 'finished';
