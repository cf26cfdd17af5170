/**
 * Command data schemas of the `board` and `card` actor kinds (seed 002: boards → lanes → cards,
 * lane workflows). Subjects:
 *
 *   moe.cmd.<org>.<ws>.board.<boardId>   a board: its lanes (WIP limits) and the order of its cards
 *   moe.cmd.<org>.<ws>.card.<cardId>     a card: its lane, text, and the agent workflow running on it
 *
 * The board is the only writer of lanes and positions, so every placement (create, move, remove) of
 * a card goes through it and positions stay a total order; it forwards the placement to the card
 * (`card.placed`), which runs the lane's workflow. A card moves itself on (exitCriteria) by asking
 * its board (`card.move` with `byCard`).
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ArtifactRefs } from './artifactRef.js';
import { Usage } from './commands.js';
import { LaneId, LaneWorkflows } from './laneWorkflow.js';
import { AgentConfig } from './tenancy.js';
import { TOKEN_PATTERN } from './subjects.js';

export { EXIT_CRITERIA_PATTERN, LaneId, LaneWorkflow, LaneWorkflows } from './laneWorkflow.js';

const Id = Type.String({ pattern: TOKEN_PATTERN });
const AgentName = Type.String({ pattern: TOKEN_PATTERN });
/** a card's title and description (the board's, the gateway's and create_card's limits) */
export const CARD_TITLE_MAX = 200;
export const CARD_DESCRIPTION_MAX = 10_000;
const Title = Type.String({ minLength: 1, maxLength: CARD_TITLE_MAX });
const Description = Type.String({ maxLength: CARD_DESCRIPTION_MAX });
/** who the card is for: a member's user id or email, an agent's name, a team (not checked); null: nobody */
export const Assignee = Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()]);
const Position = Type.Integer({ minimum: 0, maximum: 100_000 });
const Micros = Type.Integer({ minimum: 0 });

export const LaneSpec = Type.Object(
  {
    id: LaneId,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    /** at most this many cards in the lane; a placement past it is refused (MOE_ERR_WIP_LIMIT) */
    wipLimit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  },
  { additionalProperties: false },
);
export type LaneSpec = Static<typeof LaneSpec>;

/**
 * What a card needs to run workflows: the project's lane workflows and agent configs at the time of
 * the command (the gateway stamps them from the project; a pure machine cannot read them).
 */
export const CardConfig = Type.Object(
  { workflows: LaneWorkflows, agents: Type.Array(AgentConfig, { maxItems: 32 }) },
  { additionalProperties: false },
);
export type CardConfig = Static<typeof CardConfig>;

const obj = <P extends Record<string, TSchema>>(props: P, description?: string) =>
  Type.Object(props, { additionalProperties: false, ...(description ? { description } : {}) });

export const BoardCommands = {
  'board.create': obj(
    {
      /** the board's own id (a pure machine does not know its address; cards report to it) */
      board: Id,
      project: Id,
      name: Type.String({ minLength: 1, maxLength: 200 }),
      lanes: Type.Array(LaneSpec, { minItems: 1, maxItems: 32 }),
    },
    'data of board.create to moe.cmd.<org>.<ws>.board.<boardId>',
  ),
  /**
   * Rename the board and/or replace its lanes: `lanes` is the whole new list, in order. A lane kept
   * (same id) keeps its cards; a new id is a new, empty lane; a lane left out is removed, refused
   * while it holds cards (MOE_ERR_LANE_NOT_EMPTY). A lower WIP limit refuses new cards only.
   */
  'board.update': obj(
    {
      name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
      lanes: Type.Optional(Type.Array(LaneSpec, { minItems: 1, maxItems: 32 })),
    },
    'data of board.update to moe.cmd.<org>.<ws>.board.<boardId>',
  ),
  /** Delete the board (final) and every card on it (each gets `card.delete`: running agents are cancelled). */
  'board.delete': obj({}, 'data of board.delete to moe.cmd.<org>.<ws>.board.<boardId> (send {} or omit it)'),
  /** Put a new card on the board (refused past the lane's WIP limit); the board creates the card actor. */
  'card.add': obj(
    {
      card: Id,
      lane: LaneId,
      position: Type.Optional(Position),
      title: Title,
      description: Type.Optional(Description),
      assignee: Type.Optional(Assignee),
      config: Type.Optional(CardConfig),
      /** an agent of this card's workflow run created it (create_card): told if the board refuses */
      createdBy: Type.Optional(Type.Object({ card: Id, workflow: Type.Integer({ minimum: 1 }) })),
    },
    'data of card.add to moe.cmd.<org>.<ws>.board.<boardId>',
  ),
  /** Move a card to a lane and position (end of the lane when absent). `byCard`: the card asked (exitCriteria). */
  'card.move': obj(
    {
      card: Id,
      lane: LaneId,
      position: Type.Optional(Position),
      config: Type.Optional(CardConfig),
      byCard: Type.Optional(Type.Boolean()),
    },
    'data of card.move to moe.cmd.<org>.<ws>.board.<boardId>',
  ),
  'card.remove': obj({ card: Id }, 'data of card.remove to moe.cmd.<org>.<ws>.board.<boardId>'),
} satisfies Record<string, TSchema>;

export const CardCommands = {
  /** From the board: the card's lane and position now (`seq` orders placements; older ones are ignored). */
  'card.placed': obj({
    card: Id,
    board: Id,
    project: Id,
    lane: LaneId,
    position: Position,
    seq: Type.Integer({ minimum: 1 }),
    title: Type.Optional(Title),
    description: Type.Optional(Description),
    assignee: Type.Optional(Assignee),
    config: Type.Optional(CardConfig),
  }),
  'card.update': obj(
    {
      title: Type.Optional(Title),
      description: Type.Optional(Description),
      assignee: Type.Optional(Assignee),
    },
    'data of card.update to moe.cmd.<org>.<ws>.card.<cardId>',
  ),
  /** From the board after card.remove: the card is deleted (final); running agents are cancelled. */
  'card.delete': obj({}),
  /** From the board: a move the card asked for was refused (the card is blocked with the reason). */
  'card.refused': obj({ lane: LaneId, code: Type.String(), reason: Type.String() }),
  /**
   * From the board: a card an agent of this card's workflow run created (card.add with
   * `createdBy`) was refused (a WIP limit on the cardsTo lane): it does not exist.
   */
  'card.spawn.refused': obj({
    card: Id,
    lane: LaneId,
    workflow: Type.Integer({ minimum: 1 }),
    code: Type.String(),
    reason: Type.String(),
  }),
  /** Run one agent of the project on the card now (seed 002 manualTrigger). */
  'agent.run': obj(
    { agent: AgentName, config: Type.Optional(CardConfig) },
    'data of agent.run to moe.cmd.<org>.<ws>.card.<cardId>',
  ),
  /**
   * From an agent of the card's running workflow (its `create_card` tool): put a new card on the
   * board, in the lane's `cardsTo` lane. `card` is the new card's id (same workspace and project);
   * `by` the agent actor asking. Refused (card.create.refused) when the lane names no cardsTo, the
   * agent is not one of the running step's, or the workflow already created its maximum.
   */
  'card.create': obj(
    { card: Id, title: Title, description: Type.Optional(Description), by: Id },
    'data of card.create to moe.cmd.<org>.<ws>.card.<cardId>',
  ),
  /** The person's decision on a lane whose exitCriteria is `approved`. */
  'card.approve': obj({ reason: Type.Optional(Type.String({ maxLength: 500 })) }),
  'card.deny': obj({ reason: Type.Optional(Type.String({ maxLength: 500 })) }),
  /** Reports of the card's agents (same shapes as a coordinator's children send). */
  'subtask.completed': obj({
    ref: Type.String({ maxLength: 64 }),
    result: Type.String(),
    steps: Type.Integer({ minimum: 0 }),
    provider: Type.String(),
    usage: Usage,
    costMicros: Micros,
    priceMicros: Micros,
    artifacts: Type.Optional(ArtifactRefs),
  }),
  'subtask.failed': obj({ ref: Type.String({ maxLength: 64 }), code: Type.String(), reason: Type.String() }),
} satisfies Record<string, TSchema>;

/** Command schemas of the board kinds, merged into the registry and the exported schemas. */
export const BOARD_COMMANDS_BY_KIND: Record<string, Record<string, TSchema>> = {
  board: BoardCommands,
  card: CardCommands,
};
