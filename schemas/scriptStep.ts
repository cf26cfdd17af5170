/**
 * A tool call and one step of the offline `scripted` provider, in their own module so both the
 * command schemas and the tenancy schemas (a lane workflow's `scripts`) can use them without a cycle.
 */
import { Type, type Static } from '@sinclair/typebox';

export const ToolCall = Type.Object(
  { id: Type.String(), name: Type.String(), input: Type.Record(Type.String(), Type.Unknown()) },
  { additionalProperties: false },
);
export type ToolCall = Static<typeof ToolCall>;

/** One step of the offline `scripted` provider: a reply, optionally with tool calls, after a delay. */
export const ScriptStep = Type.Object(
  {
    text: Type.Optional(Type.String()),
    toolCalls: Type.Optional(Type.Array(Type.Omit(ToolCall, ['id']))),
    delayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
    /** pause between the reply's word-sized chunks (ms): a slow stream for live views and tests */
    chunkDelayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
  },
  { additionalProperties: false },
);
export type ScriptStep = Static<typeof ScriptStep>;
