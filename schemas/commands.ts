/**
 * Data schemas of every command type, per actor kind. The kernel validates each command's
 * `data` against the schema of its (kind, type) before the machine sees it; an unknown type for a
 * kind is a dead letter. System commands (`effect.*`, `timer.fired`) are accepted by every kind.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Token } from './envelope.js';
import { TENANCY_COMMANDS_BY_KIND } from './tenancy.js';

const Json = Type.Unknown();

export const ToolCall = Type.Object(
  { id: Type.String(), name: Type.String(), input: Type.Record(Type.String(), Json) },
  { additionalProperties: false },
);
export type ToolCall = Static<typeof ToolCall>;

/** One step of the offline `scripted` provider: a reply, optionally with tool calls, after a delay. */
export const ScriptStep = Type.Object(
  {
    text: Type.Optional(Type.String()),
    toolCalls: Type.Optional(Type.Array(Type.Omit(ToolCall, ['id']))),
    delayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
  },
  { additionalProperties: false },
);
export type ScriptStep = Static<typeof ScriptStep>;

export const EffectError = Type.Object(
  { code: Type.String(), message: Type.String(), attempts: Type.Integer({ minimum: 1 }) },
  { additionalProperties: false },
);
export type EffectError = Static<typeof EffectError>;

export const SystemCommands = {
  'effect.result': Type.Object({ effectId: Type.String(), value: Json }, { additionalProperties: false }),
  'effect.failed': Type.Object({ effectId: Type.String(), error: EffectError }, { additionalProperties: false }),
  'timer.fired': Type.Object({ effectId: Type.String() }, { additionalProperties: false }),
} satisfies Record<string, TSchema>;

export const SessionCommands = {
  'session.open': Type.Object(
    {
      user: Type.Optional(Token),
      title: Type.Optional(Type.String({ maxLength: 200 })),
      leaseMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 24 * 3600_000 })),
    },
    { additionalProperties: false },
  ),
  'session.renew': Type.Object(
    { leaseMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 24 * 3600_000 })) },
    { additionalProperties: false },
  ),
  'session.close': Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false }),
} satisfies Record<string, TSchema>;

export const TaskSubmit = Type.Object(
  {
    prompt: Type.String({ minLength: 1, maxLength: 100_000 }),
    profile: Type.Optional(Type.String({ maxLength: 64 })),
    script: Type.Optional(Type.Array(ScriptStep, { maxItems: 100 })),
    maxSteps: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  },
  { $id: 'TaskSubmit', additionalProperties: false, description: 'data of task.submit to moe.cmd.<org>.<ws>.agent.<taskId>' },
);
export type TaskSubmit = Static<typeof TaskSubmit>;

export const AgentCommands = {
  'task.submit': TaskSubmit,
  'task.cancel': Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false }),
} satisfies Record<string, TSchema>;

export const OrgCommands = {
  'org.create': Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
  'workspace.add': Type.Object(
    { workspace: Token, name: Type.Optional(Type.String({ maxLength: 200 })) },
    { additionalProperties: false },
  ),
} satisfies Record<string, TSchema>;

/** Usage of one provider call, in tokens. */
export const Usage = Type.Object(
  {
    inputTokens: Type.Integer({ minimum: 0 }),
    outputTokens: Type.Integer({ minimum: 0 }),
    cacheReadTokens: Type.Integer({ minimum: 0 }),
    cacheWriteTokens: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type Usage = Static<typeof Usage>;

/** The `task.completed` domain event of an agent: what a task submitter waits for. */
export const TaskCompleted = Type.Object(
  {
    type: Type.Literal('task.completed'),
    result: Type.String(),
    steps: Type.Integer(),
    provider: Type.String(),
    usage: Usage,
  },
  { $id: 'TaskCompleted', additionalProperties: false },
);
export type TaskCompleted = Static<typeof TaskCompleted>;

export const TaskFailed = Type.Object(
  { type: Type.Literal('task.failed'), code: Type.String(), reason: Type.String() },
  { $id: 'TaskFailed', additionalProperties: false },
);
export type TaskFailed = Static<typeof TaskFailed>;

/** Command data schemas by actor kind (system commands are added for every kind). */
export const COMMANDS_BY_KIND: Record<string, Record<string, TSchema>> = {
  session: SessionCommands,
  agent: AgentCommands,
  org: OrgCommands,
  ...TENANCY_COMMANDS_BY_KIND,
};
