/**
 * A live delta (`moe.live.<org>.<ws>.<kind>.<id>`, core NATS, not persisted): a batch of the text an
 * actor's LLM call streamed during one coalescing window. Published by the workspace-node's
 * `llm.call` effect, read by the gateway (streams with `deltas=1`, the card terminal) and by any
 * NATS client of the org. At-most-once and never replayed: the authoritative text is the
 * `agent.replied` event of the same `step` in the journal.
 */
import { Type, type Static } from '@sinclair/typebox';
import { codec } from './codec.js';

export const LiveDelta = Type.Object(
  {
    type: Type.Literal('delta'),
    effectId: Type.String({ description: 'the llm.call effect that streams (<turn>.<index>)' }),
    n: Type.Integer({ minimum: 0, description: '0, 1, 2, … per effect and attempt, in publish order' }),
    text: Type.String({ description: 'the text streamed since the previous delta' }),
    step: Type.Optional(
      Type.Integer({ minimum: 0, description: 'the agent step: agent.replied with this step ends it' }),
    ),
    attempt: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'the provider attempt (1-based); a retry restarts the text, n restarts at 0',
      }),
    ),
  },
  {
    $id: 'LiveDelta',
    additionalProperties: false,
    description: 'Coalesced LLM text on moe.live.<org>.<ws>.<kind>.<id> while an actor streams',
  },
);
export type LiveDelta = Static<typeof LiveDelta>;

export const liveDeltaCodec = codec(LiveDelta, 'LiveDelta');
