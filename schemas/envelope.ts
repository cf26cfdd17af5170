/**
 * The two messages every actor speaks: the command envelope (MOE_CMD) and the journal record
 * (MOE_EVT). Kind-specific command data is in `commands.ts`; both are checked by the codec.
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

export const JournalRecord = Type.Object(
  {
    v: Type.Literal(1),
    actor: ActorRef,
    turn: Type.Integer({ minimum: 1 }),
    session: Token,
    cmd: Type.Object(
      {
        id: CommandId,
        type: Type.String(),
        at: Type.Number({ description: 'epoch ms the command was stored in MOE_CMD' }),
        data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      },
      { additionalProperties: false },
    ),
    state: Type.String({ description: 'state value after the turn, JSON for nested states' }),
    status: Type.Union([Type.Literal('active'), Type.Literal('done'), Type.Literal('error')]),
    events: Type.Array(DomainEvent),
    effects: Type.Array(EffectSpec),
    cancels: Type.Array(Type.String()),
  },
  {
    $id: 'JournalRecord',
    additionalProperties: false,
    description: 'One record per turn on moe.evt.<org>.<ws>.<kind>.<id>',
  },
);
export type JournalRecord = Omit<Static<typeof JournalRecord>, 'events'> & { events: DomainEvent[] };

/** A line of a session JSONL log: the journal record plus its MOE_EVT stream sequence. */
export const JsonlLine = Type.Object(
  { seq: Type.Integer({ minimum: 1 }), rec: JournalRecord },
  { $id: 'JsonlLine', additionalProperties: false },
);
export type JsonlLine = Static<typeof JsonlLine>;

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
