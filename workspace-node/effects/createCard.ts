/**
 * The `create_card` tool (seed 002: the PRD agent creates the MVP feature cards). The model of an
 * agent running a step of a card's lane workflow whose lane names `cardsTo` is offered it
 * (`llm.call` input `cardTool`); a call sends `card.create` to the agent's card, which asks its
 * board to add the new card to the `cardsTo` lane, or refuses (`card.create.refused`, e.g. past
 * the per-workflow maximum). It runs here, not in the file toolset, because it writes to the bus
 * rather than the workspace's files.
 *
 * Exactly once: the new card's id and the command's id derive from the agent's address and the
 * effect id, so a call re-driven after a crash sends the same command and the card's kernel
 * applies it once. Bad input is a tool result the model sees (MOE_ERR_TOOL_INPUT), not a failure.
 */
import { createHash } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { SpecOf, ToolReply } from '../../actors/index.js';
import { effectCommandId, type CommandPublisher } from '../../actors/kernel/index.js';
import {
  addressKey,
  CARD_DESCRIPTION_MAX,
  CARD_TITLE_MAX,
  cardIdBeside,
  SchemaError,
  validator,
  type ActorAddress,
} from '../../schemas/index.js';
import { errors } from '../errors.js';
import type { ToolDefinition } from '../tools/index.js';

export const CREATE_CARD_TOOL = 'create_card';

/** A call's input: `card.create`'s limits (schemas/boards.ts), and a title that is not all blanks. */
const CreateCardInput = Type.Object(
  {
    title: Type.String({
      minLength: 1,
      maxLength: CARD_TITLE_MAX,
      pattern: '\\S',
      description: 'the new card title',
    }),
    description: Type.Optional(
      Type.String({ maxLength: CARD_DESCRIPTION_MAX, description: 'what the card is about' }),
    ),
  },
  { additionalProperties: false },
);
const checkInput = validator(CreateCardInput, `${CREATE_CARD_TOOL} input`);

/** What the model is offered (the same shape as the file tools' definitions). */
export const createCardDefinition: ToolDefinition = {
  name: CREATE_CARD_TOOL,
  description:
    "Put a new card on this card's board (in the lane the workflow names), e.g. one per feature or task you identified. The card's own lane workflow runs when it gets there.",
  inputSchema: CreateCardInput,
};

/** The new card's id: in the parent card's workspace and project, derived from the agent and effect. */
function newCardId(parentCard: string, agent: ActorAddress, effectId: string): string {
  const hex = createHash('sha256')
    .update(`${addressKey(agent)}/${effectId}`)
    .digest('hex');
  return cardIdBeside(parentCard, hex.slice(0, 16));
}

/** The checked input (title trimmed), or why it is refused. */
function inputOf(input: Readonly<Record<string, unknown>>): Static<typeof CreateCardInput> | string {
  try {
    const valid = checkInput(input);
    return { ...valid, title: valid.title.trim() };
  } catch (err) {
    if (err instanceof SchemaError) return err.message;
    throw err;
  }
}

/**
 * Runs one `create_card` call of agent `address` (its `tool.run` effect carries the card).
 *
 * @example
 *   const reply = await runCreateCard(publisher, address, effect, session);
 *   // → { callId, output: 'sent card w…-p…-c… "Sign-up" to the board (lane backlog)', isError: false }
 */
export async function runCreateCard(
  publisher: CommandPublisher,
  address: ActorAddress,
  effect: SpecOf<'tool.run'>,
  session: string,
): Promise<ToolReply> {
  const { callId, card } = effect;
  if (!card) {
    const e = errors.TOOL_UNKNOWN(
      `${CREATE_CARD_TOOL} (only an agent of a card's lane workflow with cardsTo has it)`,
    );
    return { callId, output: `${e.code}: ${e.message}`, isError: true };
  }
  const input = inputOf(effect.input);
  if (typeof input === 'string') {
    const e = errors.TOOL_INPUT(input);
    return { callId, output: `${e.code}: ${e.message}`, isError: true };
  }
  const id = newCardId(card.id, address, effect.id);
  await publisher.publish(
    { org: address.org, ws: address.ws, kind: 'card', id: card.id },
    {
      id: `tool:${effectCommandId(address, effect.id)}`,
      type: 'card.create',
      data: { card: id, ...input, by: address.id },
      session,
    },
  );
  // the card places it through its board, which may still refuse it (a WIP limit, the per-run maximum)
  return {
    callId,
    output: `sent card ${id} "${input.title}" to the board (lane ${card.lane})`,
    isError: false,
  };
}
