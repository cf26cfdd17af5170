/**
 * The two messages every actor speaks: the command envelope (MOE_CMD) and the journal entry
 * (MOE_EVT, one or more turns per message). Kind-specific command data is in `commands.ts`; both are checked by the codec.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TOKEN_PATTERN } from './subjects.js';

export const Token = Type.String({ pattern: TOKEN_PATTERN, description: 'letters, digits, _ and -' });

/** Command ids double as `Nats-Msg-Id`: printable, no spaces. */
export const CommandId = Type.String({ pattern: '^[A-Za-z0-9_:.@#-]{1,200}$' });

export const CommandEnvelope = Type.Object(
  {
    id: CommandId,
    type: Type.String({ pattern: '^[a-z][a-z0-9_.]{0,63}$' }),
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    session: Type.Optional(Token),
  },
  {
    $id: 'CommandEnvelope',
    additionalProperties: false,
    description: 'A command published to moe.cmd.<org>.<ws>.<kind>.<id>',
  },
);
export type CommandEnvelope = Static<typeof CommandEnvelope>;

export const ActorRef = Type.Object(
  { org: Token, ws: Token, kind: Token, id: Token },
  { additionalProperties: false },
);

export const DomainEvent = Type.Object(
  { type: Type.String() },
  { additionalProperties: true, description: 'An event the machine emitted in this turn' },
);
export interface DomainEvent {
  type: string;
  [key: string]: unknown;
}

export const EffectSpec = Type.Object(
  {
    id: Type.String({
      description: 'actor-local effect id: <turn>.<index>; the idempotency key with the address',
    }),
    kind: Type.String(),
    fireAt: Type.Optional(Type.Number({ description: 'timers: epoch ms at which timer.fired is delivered' })),
  },
  { additionalProperties: true },
);
export type EffectSpec = Static<typeof EffectSpec> & { [key: string]: unknown };

const TurnCommand = Type.Object(
  {
    id: CommandId,
    type: Type.String(),
    at: Type.Number({ description: 'epoch ms the command was stored in MOE_CMD' }),
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);

const TurnOutcome = {
  state: Type.String({ description: 'state value after the turn, JSON for nested states' }),
  status: Type.Union([Type.Literal('active'), Type.Literal('done'), Type.Literal('error')]),
  events: Type.Array(DomainEvent),
  effects: Type.Array(EffectSpec),
  cancels: Type.Array(Type.String()),
};

/** One turn: one command applied to the actor's machine, and what came of it. */
export const TurnRecord = Type.Object(
  { turn: Type.Integer({ minimum: 1 }), cmd: TurnCommand, ...TurnOutcome },
  { $id: 'TurnRecord', additionalProperties: false },
);

/**
 * One append to an actor's journal subject: the turns the actor took since its previous append,
 * in order. With no backlog that is one turn; when commands wait in the actor's mailbox, the
 * kernel applies them one by one and appends their turns together (a group commit per actor),
 * still behind the same expected-last-subject-sequence fence.
 */
export const JournalEntry = Type.Object(
  {
    v: Type.Literal(2),
    actor: ActorRef,
    session: Token,
    turns: Type.Array(TurnRecord, { minItems: 1 }),
  },
  {
    $id: 'JournalEntry',
    additionalProperties: false,
    description: 'One message per append on moe.evt.<org>.<ws>.<kind>.<id>: one or more consecutive turns',
  },
);

/** The entry format written before turns were grouped: exactly one turn per message. Still read. */
export const JournalRecordV1 = Type.Object(
  {
    v: Type.Literal(1),
    actor: ActorRef,
    turn: Type.Integer({ minimum: 1 }),
    session: Token,
    cmd: TurnCommand,
    ...TurnOutcome,
  },
  {
    $id: 'JournalRecordV1',
    additionalProperties: false,
    description: 'Legacy (v1) journal message: one turn per message',
  },
);

/** Any message found on MOE_EVT or in a session log: readers accept every version ever written. */
export const AnyJournalEntry = Type.Union([JournalEntry, JournalRecordV1], { $id: 'AnyJournalEntry' });

type Outcome<T> = Omit<T, 'events'> & { events: DomainEvent[] };
export type TurnRecord = Outcome<Static<typeof TurnRecord>>;
export type JournalEntry = Omit<Static<typeof JournalEntry>, 'turns'> & { turns: TurnRecord[] };
export type JournalRecordV1 = Outcome<Static<typeof JournalRecordV1>>;
export type AnyJournalEntry = JournalEntry | JournalRecordV1;

/** One turn with the actor and session it belongs to: what readers of the journal work with. */
export type JournalRecord = TurnRecord & {
  readonly actor: Static<typeof ActorRef>;
  readonly session: string;
};

/** The turns of an entry, oldest first, as written (v1: the record itself is its one turn). */
export function entryTurns(entry: AnyJournalEntry): readonly TurnRecord[] {
  return entry.v === 1 ? [entry] : entry.turns;
}

/** The turns of an entry, oldest first, each with its actor and session (v1 and v2 alike). */
export function turnsOf(entry: AnyJournalEntry): JournalRecord[] {
  if (entry.v === 1) {
    const { v: _v, ...turn } = entry;
    return [turn];
  }
  return entry.turns.map((t) => ({ ...t, actor: entry.actor, session: entry.session }));
}

/** A line of a session JSONL log: the journal entry plus its MOE_EVT stream sequence. */
export const JsonlLine = Type.Object(
  { seq: Type.Integer({ minimum: 1 }), rec: AnyJournalEntry },
  { $id: 'JsonlLine', additionalProperties: false },
);
export type JsonlLine = { seq: number; rec: AnyJournalEntry };

export const DeadLetter = Type.Object(
  {
    reason: Type.String(),
    code: Type.String(),
    subject: Type.String(),
    at: Type.Number(),
    payload: Type.String({ description: 'the original payload, utf-8 (lossy) ' }),
    path: Type.Optional(Type.String({ description: 'JSON path of the first schema violation' })),
  },
  { $id: 'DeadLetter', additionalProperties: false },
);
export type DeadLetter = Static<typeof DeadLetter>;
