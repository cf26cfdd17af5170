/**
 * A lane's agent workflow (seed 002 `LANE_WORKFLOWS`), part of a project's agent-config
 * (`project.agents.set` `workflows`) and carried to cards in their CardConfig (schemas/boards.ts).
 */
import { Type, type Static } from '@sinclair/typebox';
import { ScriptStep } from './scriptStep.js';
import { TOKEN_PATTERN } from './subjects.js';

const AgentName = Type.String({ pattern: TOKEN_PATTERN });

/** A lane id: a token (seed 002 numbers its lanes: `"0"`, `"1"`, … are fine). */
export const LANE_ID_PATTERN = '^[A-Za-z0-9_-]{1,32}$';
export const LaneId = Type.String({ pattern: LANE_ID_PATTERN });
/**
 * The workflow of one lane, in seed 002's `LANE_WORKFLOWS` shape:
 *   autoTrigger    on enter, run `sequence` (or just this agent when there is no sequence)
 *   sequence       agents in order; each gets the card and the previous agents' output
 *   parallel       run the agents side by side (one step) and join
 *   manualTrigger  agents that run only when asked (`POST /api/cards/:id/agents/:agent/run`)
 *   exitCriteria   `approved`: wait for a person (card.approve / card.deny); `files_written`: the
 *                  workflow's agents wrote a file; `file:<path>`: they wrote that file (relative to
 *                  the project folder); `cards_created`: they created a card (cardsTo);
 *                  anything else: a name, every step completed
 *                  (unmet file criteria fail the workflow: failureLane, else blocked)
 *   exitLane       where the card goes when the exit criteria hold
 *   failureLane    where it goes when a step fails; absent: the card is blocked with the reason
 *   cardsTo        the lane cards created by this workflow's agents go to: set, they get the
 *                  `create_card` tool (seed 002's PRD agent creating the MVP feature cards)
 *   scripts        per agent, steps for the offline `scripted` provider (demos and tests)
 */
/** A label, or `file:<path>` with a relative path: no leading `/`, no `..` segment, no backslash. */
export const EXIT_CRITERIA_PATTERN = '^(?!file:)|^file:(?!/)(?!(.*/)?\\.\\.(/|$))[^\\\\]+$';

export const LaneWorkflow = Type.Object(
  {
    autoTrigger: Type.Optional(AgentName),
    sequence: Type.Optional(Type.Array(AgentName, { minItems: 1, maxItems: 16 })),
    parallel: Type.Optional(Type.Boolean()),
    manualTrigger: Type.Optional(Type.Array(AgentName, { minItems: 1, maxItems: 16 })),
    exitCriteria: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        pattern: EXIT_CRITERIA_PATTERN,
      }),
    ),
    exitLane: Type.Optional(LaneId),
    failureLane: Type.Optional(LaneId),
    cardsTo: Type.Optional(LaneId),
    scripts: Type.Optional(Type.Record(AgentName, Type.Array(ScriptStep, { maxItems: 20 }))),
  },
  { additionalProperties: false },
);
export type LaneWorkflow = Static<typeof LaneWorkflow>;

/** Lane id → its workflow (a project's `agent-config` `workflows`). */
export const LaneWorkflows = Type.Record(LaneId, LaneWorkflow);
export type LaneWorkflows = Static<typeof LaneWorkflows>;
