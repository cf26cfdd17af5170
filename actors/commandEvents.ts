/**
 * The events a machine receives, derived from the command schemas of its kind in `schemas/`, so a
 * machine does not re-declare the data shapes the kernel has already validated.
 *
 * @example type MembershipEvent = CommandEvents<typeof MembershipCommands>;
 */
import type { Static, TSchema } from '@sinclair/typebox';
import type { KernelEvent } from './contract.js';

/** One {@link KernelEvent} per command type of `Commands`, its `data` typed by that command's schema. */
export type CommandEvents<Commands extends Record<string, TSchema>> = {
  [T in keyof Commands & string]: KernelEvent<T, Static<Commands[T]>>;
}[keyof Commands & string];
