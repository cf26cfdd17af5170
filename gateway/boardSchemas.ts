/** HTTP schemas of the board and card routes (seed 002), reusing the wire contract in schemas/boards.ts. */
import { Type } from '@sinclair/typebox';
import { Assignee, LaneId, LaneSpec, Token } from '../schemas/index.js';

const strict = { additionalProperties: false } as const;
const Title = Type.String({ minLength: 1, maxLength: 200 });
const Text = Type.String({ maxLength: 10_000 });
const Position = Type.Integer({ minimum: 0, maximum: 100_000 });

export const CreateBoardBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    lanes: Type.Array(LaneSpec, { minItems: 1, maxItems: 32 }),
  },
  strict,
);
export const UpdateBoardBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    lanes: Type.Optional(Type.Array(LaneSpec, { minItems: 1, maxItems: 32 })),
  },
  strict,
);
export const CreateCardBody = Type.Object(
  {
    board: Token,
    lane: LaneId,
    title: Title,
    description: Type.Optional(Text),
    assignee: Type.Optional(Assignee),
    position: Type.Optional(Position),
  },
  strict,
);
export const UpdateCardBody = Type.Object(
  { title: Type.Optional(Title), description: Type.Optional(Text), assignee: Type.Optional(Assignee) },
  strict,
);
export const MoveCardBody = Type.Object({ lane: LaneId, position: Type.Optional(Position) }, strict);
export const DecisionBody = Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) }, strict);
export const CardAgentParams = Type.Object({ id: Token, agent: Token }, strict);
