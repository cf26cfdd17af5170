/**
 * The catalogue of domain events and the decode step every reader of a turn's `events` goes
 * through: {@link decodeEvent} checks one event against the schema of its type and returns it
 * typed, so readers narrow on `type` instead of casting fields. Unknown types and invalid events are
 * refused with an {@link EventDecodeError} (a SchemaError with the JSON path and a reason code).
 *
 * @example
 *   const done = findEvent(rec.events, 'task.completed'); // EventOf<'task.completed'> | undefined
 *   for (const e of knownEvents(rec.events)) if (e.type === 'org.created') use(e.name);
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { SchemaError } from './codec.js';
import {
  AgentEvents,
  BackupEvents,
  CoordinatorEvents,
  KernelEvents,
  OrgEvents,
  SessionEvents,
  TaskEvents,
} from './events.js';
import { TENANCY_EVENTS_BY_KIND } from './tenancyEvents.js';
import { BoardEvents, CardEvents } from './boardEvents.js';
import { BudgetEvents } from './budgets.js';
import { BillingEvents } from './billingEvents.js';

/**
 * Kinds whose journal a node service writes without a hosted actor: `budget` (a budget's alerts,
 * journaled by the limiter: workspace-node/limits/alertJournal.ts). Every other kind of
 * {@link EVENTS_BY_KIND} is an actor kind the kernel hosts.
 */
export const UNHOSTED_EVENT_KINDS: readonly string[] = ['budget'];

/** The events each actor kind emits (the kernel's `command.rejected` can follow any command). */
export const EVENTS_BY_KIND = {
  session: SessionEvents,
  agent: { ...TaskEvents, ...AgentEvents },
  coordinator: { ...TaskEvents, ...CoordinatorEvents },
  org: OrgEvents,
  backup: BackupEvents,
  ...TENANCY_EVENTS_BY_KIND,
  board: BoardEvents,
  card: CardEvents,
  budget: BudgetEvents,
  billing: BillingEvents,
};

/** Every event type → its schema: one type has one shape, whichever kind emits it. */
export const EVENT_SCHEMAS = {
  ...KernelEvents,
  ...SessionEvents,
  ...TaskEvents,
  ...AgentEvents,
  ...CoordinatorEvents,
  ...OrgEvents,
  ...BackupEvents,
  ...TENANCY_EVENTS_BY_KIND.user,
  ...TENANCY_EVENTS_BY_KIND.membership,
  ...TENANCY_EVENTS_BY_KIND.team,
  ...TENANCY_EVENTS_BY_KIND.workspace,
  ...TENANCY_EVENTS_BY_KIND.project,
  ...TENANCY_EVENTS_BY_KIND.apikey,
  ...BoardEvents,
  ...CardEvents,
  ...TENANCY_EVENTS_BY_KIND.audit,
  ...BudgetEvents,
  ...BillingEvents,
};

type Schemas = typeof EVENT_SCHEMAS;
export type EventType = keyof Schemas;
/** The event of type `T`, as its schema describes it. */
export type EventOf<T extends EventType> = Static<Schemas[T]>;
/** Any known domain event: a union discriminated by `type`. */
export type KnownEvent = { [T in EventType]: EventOf<T> }[EventType];
/** Events a machine may emit (the kernel alone writes `command.rejected`). */
export type MachineEvent = Exclude<KnownEvent, { type: 'command.rejected' }>;

export type EventDecodeReason = 'not-an-event' | 'unknown-type' | 'invalid';

export class EventDecodeError extends SchemaError {
  constructor(
    readonly reason: EventDecodeReason,
    schema: string,
    path: string,
    message: string,
  ) {
    super(schema, path, message);
  }
}

const checkers = new Map<string, TypeCheck<TSchema>>(
  Object.entries(EVENT_SCHEMAS).map(([type, schema]) => [type, TypeCompiler.Compile(schema as TSchema)]),
);

export function isEventType(type: string): type is EventType {
  return checkers.has(type);
}

/** Checks one event against the schema of its type; throws {@link EventDecodeError}. */
export function decodeEvent(value: unknown): KnownEvent {
  const type = (value as { type?: unknown } | null)?.type;
  if (typeof value !== 'object' || value === null || typeof type !== 'string')
    throw new EventDecodeError(
      'not-an-event',
      'DomainEvent',
      '/type',
      'an event is an object with a string type',
    );
  const checker = checkers.get(type);
  if (!checker)
    throw new EventDecodeError('unknown-type', 'DomainEvent', '/type', `unknown event type ${type}`);
  if (checker.Check(value)) return value as KnownEvent;
  const first = checker.Errors(value).First();
  throw new EventDecodeError('invalid', `event.${type}`, first?.path ?? '', first?.message ?? 'invalid');
}

/**
 * The events of a turn, decoded. An event of a type this version does not know (written by a newer
 * one) is left out; an event of a known type that breaks its schema throws {@link EventDecodeError}.
 */
export function knownEvents(events: readonly unknown[]): KnownEvent[] {
  const out: KnownEvent[] = [];
  for (const e of events) {
    const known = decodeKnownEvent(e);
    if (known) out.push(known);
  }
  return out;
}

/**
 * The events of a turn that decode; unknown and invalid ones are left out. For folds that must go on
 * past one bad event (a projection transaction over many turns); `onInvalid` hears about each.
 */
export function validEvents(
  events: readonly unknown[],
  onInvalid: (err: EventDecodeError) => void = () => undefined,
): KnownEvent[] {
  const out: KnownEvent[] = [];
  for (const e of events) {
    try {
      const known = decodeKnownEvent(e);
      if (known) out.push(known);
    } catch (err) {
      if (!(err instanceof EventDecodeError)) throw err;
      onInvalid(err);
    }
  }
  return out;
}

/** {@link decodeEvent}, but `undefined` for an event whose type this version does not know. */
export function decodeKnownEvent(value: unknown): KnownEvent | undefined {
  const type = (value as { type?: unknown } | null)?.type;
  return typeof type === 'string' && !isEventType(type) ? undefined : decodeEvent(value);
}

/** Whether actors of `kind` emit events of `type` (the kernel's `command.rejected` excepted). */
export function emittedBy(kind: string, type: EventType): boolean {
  const events: Record<string, unknown> | undefined = (
    EVENTS_BY_KIND as Record<string, Record<string, unknown>>
  )[kind];
  return events !== undefined && Object.hasOwn(events, type);
}

/** A type guard for one or more event types: `knownEvents(evs).filter(ofType('task.completed'))`. */
export function ofType<const T extends EventType>(...types: T[]): (e: KnownEvent) => e is EventOf<T> {
  const wanted = new Set<string>(types);
  return (e): e is EventOf<T> => wanted.has(e.type);
}

/** The first event of one of `types` in a turn's events, decoded. */
export function findEvent<const T extends EventType>(
  events: readonly unknown[],
  ...types: T[]
): EventOf<T> | undefined {
  return knownEvents(events).find(ofType(...types));
}

/** The last event of one of `types` in a list of events, decoded. */
export function findLastEvent<const T extends EventType>(
  events: readonly unknown[],
  ...types: T[]
): EventOf<T> | undefined {
  return knownEvents(events)
    .filter(ofType(...types))
    .at(-1);
}
