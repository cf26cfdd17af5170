/**
 * Schemas of the domain events of the `board` and `card` actors (actors/board.machine.ts,
 * actors/card.machine.ts). The card events are the contract the card terminal and the gateway read
 * (`card.created`, `card.moved`, `run.started`, `run.finished`, …); the board events carry the
 * resulting order of every lane they touch, so a reader folds them without knowing the rules.
 */
import { Type } from '@sinclair/typebox';
import { ArtifactRefs } from './artifactRef.js';
import { LaneSpec } from './boards.js';
import { eventSchema } from './events.js';

const Micros = Type.Integer({ minimum: 0 });
const Order = Type.Record(Type.String(), Type.Array(Type.String()));
const AgentActor = Type.Object(
  { kind: Type.Literal('agent'), id: Type.String() },
  { additionalProperties: false },
);
const Lane = Type.Union([Type.String(), Type.Null()]);

export const BoardEvents = {
  'board.created': eventSchema(
    'board.created',
    { project: Type.String(), name: Type.String(), lanes: Type.Array(LaneSpec) },
    'the board exists with its lanes (in order)',
  ),
  'board.card.placed': eventSchema(
    'board.card.placed',
    {
      card: Type.String(),
      from: Lane,
      to: Type.String(),
      position: Type.Integer({ minimum: 0 }),
      order: Order,
    },
    'a card was added (from null) or moved; order: the card ids of every lane it touched, in order',
  ),
  'board.card.removed': eventSchema(
    'board.card.removed',
    { card: Type.String(), lane: Type.String(), order: Order },
    'a card left the board; order: its lane after',
  ),
  'board.updated': eventSchema(
    'board.updated',
    { name: Type.Optional(Type.String()), lanes: Type.Optional(Type.Array(LaneSpec)) },
    'the board was renamed and/or its lanes replaced (lanes: the whole new list, in order; kept lanes keep their cards)',
  ),
  'board.update.refused': eventSchema(
    'board.update.refused',
    { code: Type.String(), reason: Type.String() },
    'an update was refused (MOE_ERR_LANE_NOT_EMPTY: it removed a lane holding cards); nothing changed',
  ),
  'board.deleted': eventSchema(
    'board.deleted',
    { cards: Type.Array(Type.String()) },
    'the board was deleted (final); cards: those it held, each sent card.delete',
  ),
  'board.move.refused': eventSchema(
    'board.move.refused',
    { card: Type.String(), lane: Type.String(), code: Type.String(), reason: Type.String() },
    'a placement was refused (MOE_ERR_WIP_LIMIT, MOE_ERR_LANE_UNKNOWN, MOE_ERR_CARD_UNKNOWN); nothing moved',
  ),
};

const RunFields = {
  runId: Type.String(),
  lane: Type.String(),
  step: Type.Integer({ minimum: 0 }),
  agent: Type.String(),
  actor: AgentActor,
};

export const CardEvents = {
  'card.created': eventSchema(
    'card.created',
    {
      board: Type.String(),
      project: Type.String(),
      lane: Type.String(),
      position: Type.Integer({ minimum: 0 }),
      title: Type.String(),
      description: Type.Optional(Type.String()),
      assignee: Type.Optional(Type.String()),
    },
    'the card exists on its board, in lane at position (assignee: who it is for, when given)',
  ),
  'card.updated': eventSchema(
    'card.updated',
    {
      title: Type.Optional(Type.String()),
      description: Type.Optional(Type.String()),
      assignee: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    },
    'the fields that changed, with their new values (assignee null: unassigned)',
  ),
  'card.moved': eventSchema(
    'card.moved',
    { from: Type.String(), to: Type.String(), position: Type.Integer({ minimum: 0 }) },
    'the card changed lane or position (positions are the board order at the time)',
  ),
  'card.deleted': eventSchema('card.deleted', {}, 'the card was deleted (final)'),
  'run.started': eventSchema(
    'run.started',
    RunFields,
    'an agent step of the lane workflow started: actor is the agent actor running it (step: 0-based index in the workflow; a parallel step starts several)',
  ),
  'run.finished': eventSchema(
    'run.finished',
    {
      ...RunFields,
      status: Type.Union([Type.Literal('completed'), Type.Literal('failed')]),
      summary: Type.Optional(Type.String()),
      costMicros: Type.Optional(Micros),
      /** files the step's agent wrote (see schemas/artifactRef.ts) */
      artifacts: Type.Optional(ArtifactRefs),
    },
    'an agent step finished (summary: its result, shortened, or the failure reason; artifacts: files it wrote)',
  ),
  'workflow.started': eventSchema(
    'workflow.started',
    {
      workflow: Type.Integer({ minimum: 1 }),
      lane: Type.String(),
      steps: Type.Array(Type.Array(Type.String())),
      trigger: Type.Union([Type.Literal('auto'), Type.Literal('manual')]),
    },
    'a lane workflow started: its steps, each the agents that run side by side',
  ),
  'workflow.finished': eventSchema(
    'workflow.finished',
    {
      workflow: Type.Integer({ minimum: 1 }),
      lane: Type.String(),
      status: Type.Union([
        Type.Literal('completed'),
        Type.Literal('failed'),
        Type.Literal('cancelled'),
        Type.Literal('awaiting_approval'),
      ]),
      summary: Type.String(),
      costMicros: Micros,
      next: Type.Optional(Type.String()),
    },
    'a lane workflow ended (next: the lane the card asked its board to move it to)',
  ),
  'card.blocked': eventSchema(
    'card.blocked',
    { code: Type.String(), reason: Type.String() },
    'the card is blocked: a step failed with no failureLane, or a move it asked for was refused',
  ),
  'card.approval.requested': eventSchema(
    'card.approval.requested',
    {
      workflow: Type.Integer({ minimum: 1 }),
      lane: Type.String(),
      /** the agent actor (a task) that waits for the person: decide it with task.approve / task.deny */
      task: Type.Optional(Type.String()),
    },
    'the lane exitCriteria is `approved`: the card waits for a person through the approval of its gate task (task.approve / task.deny; card.approve / card.deny forward to it)',
  ),
  'card.spawned': eventSchema(
    'card.spawned',
    { card: Type.String(), lane: Type.String(), title: Type.String(), by: Type.String() },
    'an agent of the workflow created a card (create_card): the card asked its board to add it to lane (cardsTo); by: the agent actor',
  ),
  'card.create.refused': eventSchema(
    'card.create.refused',
    { card: Type.String(), code: Type.String(), reason: Type.String() },
    'a card.create was refused (MOE_ERR_CARD_CREATE_REFUSED): no cardsTo, not an agent of the running step, or the per-workflow maximum reached',
  ),
  'card.spawn.refused': eventSchema(
    'card.spawn.refused',
    { card: Type.String(), lane: Type.String(), code: Type.String(), reason: Type.String() },
    'the board refused a card an agent of this card created (e.g. a WIP limit on the cardsTo lane): that card does not exist, and it no longer counts for cards_created',
  ),
  'card.approval.decided': eventSchema(
    'card.approval.decided',
    { approved: Type.Boolean(), reason: Type.Optional(Type.String()) },
    'a person approved or denied the workflow result',
  ),
};
