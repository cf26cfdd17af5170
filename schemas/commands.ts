/**
 * Data schemas of every command type, per actor kind. The kernel validates each command's
 * `data` against the schema of its (kind, type) before the machine sees it; an unknown type for a
 * kind is a dead letter. System commands (`effect.*`, `timer.fired`) are accepted by every kind.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Token } from './envelope.js';
import { ArtifactRefs } from './artifactRef.js';
import { ScriptStep } from './scriptStep.js';
import { TENANCY_COMMANDS_BY_KIND } from './tenancy.js';
import { BillingCommands } from './billingCommands.js';

const Json = Type.Unknown();

export { ToolCall, ScriptStep } from './scriptStep.js';

export const EffectError = Type.Object(
  { code: Type.String(), message: Type.String(), attempts: Type.Integer({ minimum: 1 }) },
  { additionalProperties: false },
);
export type EffectError = Static<typeof EffectError>;

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

const Micros = Type.Integer({ minimum: 0 });

export const SystemCommands = {
  'effect.result': Type.Object({ effectId: Type.String(), value: Json }, { additionalProperties: false }),
  'effect.failed': Type.Object(
    { effectId: Type.String(), error: EffectError },
    { additionalProperties: false },
  ),
  'timer.fired': Type.Object({ effectId: Type.String() }, { additionalProperties: false }),
} satisfies Record<string, TSchema>;

/** Where a child agent reports back (`subtask.completed` / `subtask.failed`): its coordinator. */
export const ParentRef = Type.Object(
  { kind: Token, id: Token, ref: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);
export type ParentRef = Static<typeof ParentRef>;

/** Tool names (e.g. `shell`, `write_file`) whose calls wait for `task.approve` / `task.deny`. */
const ApprovalRequired = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 32 });

/**
 * The project a task belongs to: its tools work in `files/projects/<project>/` of the workspace
 * (see docs/agents.md). The gateway sets it from the route; without it the tools work at the
 * workspace's files root.
 */
export const ProjectRef = Type.String({
  pattern: '^[A-Za-z0-9_-]{1,64}$',
  description: "project id; the task's files live under files/projects/<project>/",
});

export const TaskSubmit = Type.Object(
  {
    prompt: Type.String({ minLength: 1, maxLength: 100_000 }),
    profile: Type.Optional(Type.String({ maxLength: 64 })),
    script: Type.Optional(Type.Array(ScriptStep, { maxItems: 100 })),
    maxSteps: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    approvalRequired: Type.Optional(ApprovalRequired),
    parent: Type.Optional(ParentRef),
    project: Type.Optional(ProjectRef),
    /**
     * an approval gate, not a model task: the agent asks at once for approval of the pseudo tool
     * `name` (approval.requested), completes when a person approves (task.approve) and fails with
     * MOE_ERR_APPROVAL_DENIED when one denies (task.deny). A card's `exitCriteria: 'approved'` uses it.
     */
    /**
     * the task runs an agent step of a card's lane workflow whose lane names `cardsTo`: the model
     * gets the `create_card` tool, and the cards it creates go to that lane of the card's board
     */
    createCards: Type.Optional(
      Type.Object(
        { lane: Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' }) },
        { additionalProperties: false },
      ),
    ),
    approvalGate: Type.Optional(
      Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
    ),
  },
  {
    $id: 'TaskSubmit',
    additionalProperties: false,
    description: 'data of task.submit to moe.cmd.<org>.<ws>.agent.<taskId>',
  },
);
export type TaskSubmit = Static<typeof TaskSubmit>;

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
  'session.close': Type.Object(
    { reason: Type.Optional(Type.String({ maxLength: 500 })) },
    { additionalProperties: false },
  ),
  /**
   * A task in this session: the session checks its lease at the command's `at` and forwards
   * `submit` as `task.submit` to agent `task`, or refuses it (`task.refused`, MOE_ERR_SESSION_EXPIRED).
   */
  'session.submit': Type.Object(
    { task: Token, submit: TaskSubmit },
    {
      additionalProperties: false,
      description: 'data of session.submit to moe.cmd.<org>.<ws>.session.<sessionId>',
    },
  ),
} satisfies Record<string, TSchema>;

const TaskCancel = Type.Object(
  {
    reason: Type.Optional(Type.String({ maxLength: 500 })),
    /** sent by the coordinator to its other children when one failed: the child does not report back */
    byParent: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** Approve (or deny) one pending tool call by id, or every pending call when `callId` is absent. */
export const TaskApproval = Type.Object(
  {
    callId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { $id: 'TaskApproval', additionalProperties: false, description: 'data of task.approve / task.deny' },
);
export type TaskApproval = Static<typeof TaskApproval>;

/**
 * A follow-up message to an agent that already has a task (seed 001 `receive(agentId, message)`):
 * it answers with the whole conversation as context. A busy agent queues it and answers in
 * arrival order; a finished agent starts a new turn of the conversation.
 */
export const AgentMessageData = Type.Object(
  {
    text: Type.String({ minLength: 1, maxLength: 100_000 }),
    /** steps for the offline `scripted` provider for this turn (played after the earlier steps) */
    script: Type.Optional(Type.Array(ScriptStep, { maxItems: 100 })),
    /**
     * true: answer this message with a fresh conversation (seed 001 `clearMessages`): the earlier
     * messages leave the agent's context; its journal and `GET …/messages` keep them
     */
    clear: Type.Optional(Type.Boolean()),
  },
  {
    $id: 'AgentMessageData',
    additionalProperties: false,
    description: 'data of agent.message to moe.cmd.<org>.<ws>.agent.<taskId>',
  },
);
export type AgentMessageData = Static<typeof AgentMessageData>;

export const AgentCommands = {
  'task.submit': TaskSubmit,
  'agent.message': AgentMessageData,
  'task.cancel': TaskCancel,
  'task.approve': TaskApproval,
  'task.deny': TaskApproval,
} satisfies Record<string, TSchema>;

/** One subtask of a coordinator's plan: which expert profile gets which prompt. */
export const Subtask = Type.Object(
  {
    prompt: Type.String({ minLength: 1, maxLength: 100_000 }),
    profile: Type.Optional(Type.String({ maxLength: 64 })),
    script: Type.Optional(Type.Array(ScriptStep, { maxItems: 100 })),
  },
  { additionalProperties: false },
);
export type Subtask = Static<typeof Subtask>;

export const CoordinatorSubmit = Type.Object(
  {
    prompt: Type.String({ minLength: 1, maxLength: 100_000 }),
    /** the coordinator's own profile (planning and aggregation calls) */
    profile: Type.Optional(Type.String({ maxLength: 64 })),
    /** expert profiles the plan may use; the first is the default expert */
    experts: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 16 })),
    /** skip the planning call: run these subtasks */
    subtasks: Type.Optional(Type.Array(Subtask, { minItems: 1, maxItems: 16 })),
    /** `llm` (default): an aggregation call; `concat`: join the experts' results */
    aggregate: Type.Optional(Type.Union([Type.Literal('llm'), Type.Literal('concat')])),
    script: Type.Optional(Type.Array(ScriptStep, { maxItems: 100 })),
    approvalRequired: Type.Optional(ApprovalRequired),
    /** passed on to every expert */
    project: Type.Optional(ProjectRef),
  },
  {
    $id: 'CoordinatorSubmit',
    additionalProperties: false,
    description: 'data of task.submit to moe.cmd.<org>.<ws>.coordinator.<taskId>',
  },
);
export type CoordinatorSubmit = Static<typeof CoordinatorSubmit>;

/**
 * An escalation routed to a coordinator (gateway/escalationRouter.ts): an actor of its workspace
 * (its own child agent, or any when the failed agent has no running coordinator) used up its
 * restarts and its policy escalates to `coordinator`. Command id `esc.<escalation>`: the same on
 * every gateway, so the kernel applies it once.
 */
export const EscalationNotice = Type.Object(
  {
    /** the escalation's id: a hash of the stop record's key and time, the same on every gateway */
    escalation: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
    /** the stopped actor, `<org>.<ws>.<kind>.<id>` */
    actor: Type.String({ minLength: 1, maxLength: 300 }),
    /** the failure that used the restarts up */
    code: Type.String({ maxLength: 200 }),
    reason: Type.String({ maxLength: 2000 }),
    commandId: Type.Union([Type.String({ maxLength: 200 }), Type.Null()]),
    restarts: Type.Integer({ minimum: 0 }),
    /** when the supervisor stopped it, epoch ms */
    at: Type.Number(),
  },
  {
    $id: 'EscalationNotice',
    additionalProperties: false,
    description: 'data of escalation.notice to moe.cmd.<org>.<ws>.coordinator.<taskId>',
  },
);
export type EscalationNotice = Static<typeof EscalationNotice>;

export const CoordinatorCommands = {
  'task.submit': CoordinatorSubmit,
  'task.cancel': TaskCancel,
  'subtask.completed': Type.Object(
    {
      ref: Type.String({ maxLength: 64 }),
      result: Type.String(),
      steps: Type.Integer({ minimum: 0 }),
      provider: Type.String(),
      usage: Usage,
      costMicros: Micros,
      priceMicros: Micros,
      /** files the agent's tools wrote (newest write of each path) */
      artifacts: Type.Optional(ArtifactRefs),
    },
    { additionalProperties: false },
  ),
  'subtask.failed': Type.Object(
    { ref: Type.String({ maxLength: 64 }), code: Type.String(), reason: Type.String() },
    { additionalProperties: false },
  ),
  'escalation.notice': EscalationNotice,
} satisfies Record<string, TSchema>;

export const OrgCommands = {
  'org.create': Type.Object(
    { name: Type.String({ minLength: 1, maxLength: 200 }) },
    { additionalProperties: false },
  ),
  'workspace.add': Type.Object(
    { workspace: Token, name: Type.Optional(Type.String({ maxLength: 200 })) },
    { additionalProperties: false },
  ),
} satisfies Record<string, TSchema>;

/**
 * Why a backup was asked for: by hand (REST, `moe backup`), the schedule, a session ending, or a
 * new workspace's first backup (`provision`, sent by the gateway when it creates the workspace).
 */
export const BackupReason = Type.Union([
  Type.Literal('manual'),
  Type.Literal('schedule'),
  Type.Literal('session-end'),
  Type.Literal('provision'),
]);
export type BackupReason = Static<typeof BackupReason>;

/** The backup actor's interval bounds: 1 minute to 1 day; default 15 minutes (backup.machine.ts). */
const BackupIntervalMs = Type.Integer({ minimum: 60_000, maximum: 24 * 3600_000 });
/** The verification schedule's bounds: 1 minute to 30 days; default 24 h (backup.machine.ts). */
const VerifyIntervalMs = Type.Integer({ minimum: 60_000, maximum: 30 * 24 * 3600_000 });

export const BackupCommands = {
  /**
   * Back the workspace up now (coalesced into one more run when a backup is running). Skipped when
   * the workspace has no new turns since the last backup, unless `force`.
   */
  'backup.request': Type.Object(
    { reason: BackupReason, force: Type.Optional(Type.Boolean()) },
    {
      $id: 'BackupRequest',
      additionalProperties: false,
      description: 'data of backup.request to moe.cmd.<org>.<ws>.backup.workspace',
    },
  ),
  /**
   * Change the recurring schedule (started by the first backup.request), or stop it (`enabled:
   * false`); `verifyIntervalMs` / `verifyEnabled` do the same for the verification schedule
   * (default: every 24 h once a backup exists). A command with only verify fields leaves the backup
   * schedule alone.
   */
  'backup.schedule': Type.Object(
    {
      intervalMs: Type.Optional(BackupIntervalMs),
      enabled: Type.Optional(Type.Boolean()),
      verifyIntervalMs: Type.Optional(VerifyIntervalMs),
      verifyEnabled: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
} satisfies Record<string, TSchema>;

/** The `task.completed` domain event of an agent: what a task submitter waits for. */
export const TaskCompleted = Type.Object(
  {
    type: Type.Literal('task.completed'),
    result: Type.String(),
    steps: Type.Integer(),
    provider: Type.String(),
    usage: Usage,
    /** provider cost of every call of the task (children included for a coordinator), µ$ */
    costMicros: Type.Optional(Micros),
    /** what the customer pays for them, µ$ */
    priceMicros: Type.Optional(Micros),
    subtasks: Type.Optional(Type.Integer({ minimum: 0 })),
    /** files the task's tools wrote (newest write of each path) */
    artifacts: Type.Optional(ArtifactRefs),
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
  coordinator: CoordinatorCommands,
  org: OrgCommands,
  backup: BackupCommands,
  billing: BillingCommands,
  ...TENANCY_COMMANDS_BY_KIND,
};
