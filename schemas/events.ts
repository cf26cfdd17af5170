/**
 * Schemas of the domain events the runtime actors (session, agent, coordinator, org) and the kernel
 * write into a turn's `events`, one TypeBox schema per event type, the way `commands.ts` defines
 * command data. The tenancy actors' events are in `tenancyEvents.ts`; `eventCodec.ts` joins both
 * into one catalogue and decodes journal events against it.
 *
 * Events are kept forever in the journal: a field added later is optional here (older journals
 * lack it), and a field is never removed or retyped.
 */
import { Type, type Static, type TProperties } from '@sinclair/typebox';
import { ArtifactRefs } from './artifactRef.js';
import { BackupReason, ParentRef, TaskCompleted, TaskFailed, Usage } from './commands.js';

const Micros = Type.Integer({ minimum: 0 });

/** An event schema: a closed object whose `type` is the literal `type`. */
export function eventSchema<T extends string, P extends TProperties>(type: T, props: P, description: string) {
  return Type.Object({ type: Type.Literal(type), ...props }, { additionalProperties: false, description });
}

/** Emitted by the kernel, not by a machine: the actor could not accept the command in its state. */
export const KernelEvents = {
  'command.rejected': eventSchema(
    'command.rejected',
    { command: Type.String(), state: Type.String(), reason: Type.String() },
    'the command was valid but not accepted in the actor state; the state is unchanged',
  ),
};

export const SessionEvents = {
  'session.opened': eventSchema(
    'session.opened',
    { expiresAt: Type.Number(), user: Type.Union([Type.String(), Type.Null()]) },
    'the session is open until expiresAt (epoch ms)',
  ),
  'session.renewed': eventSchema(
    'session.renewed',
    { expiresAt: Type.Number() },
    'the lease was renewed until expiresAt (epoch ms)',
  ),
  'session.expired': eventSchema(
    'session.expired',
    { expiredAt: Type.Number() },
    'the lease ran out (its timer fired, or a task came after expiredAt); renewing brings the session back. The session also sends backup.request (session-end) to the workspace backup actor',
  ),
  'task.admitted': eventSchema(
    'task.admitted',
    { task: Type.String() },
    'session.submit was inside the lease: the session sent task.submit to agent task',
  ),
  'task.refused': eventSchema(
    'task.refused',
    { task: Type.String(), code: Type.String(), reason: Type.String() },
    'session.submit was refused (code MOE_ERR_SESSION_EXPIRED: the lease ended before the command); no agent runs',
  ),
  'session.closed': eventSchema(
    'session.closed',
    { reason: Type.Union([Type.String(), Type.Null()]) },
    'the session is closed (final); it also sends backup.request (session-end) to the workspace backup actor',
  ),
};

const CallFields = {
  provider: Type.String(),
  model: Type.String(),
  usage: Usage,
};

/**
 * The attempts one `llm.call` made on one provider/model target when any failed (the router
 * retries inside the call; only the served reply is priced): journaled with the call's result and
 * its `usage.recorded`, absent in journals written before, and absent when the first try served.
 */
export const CallAttempts = Type.Object(
  {
    provider: Type.String(),
    model: Type.String(),
    /** attempts on this target, the one that served (if it did) included */
    count: Type.Integer({ minimum: 0 }),
    /** failed attempts answered 429 (MOE_ERR_PROVIDER_RATE_LIMITED) */
    rateLimited: Type.Integer({ minimum: 0 }),
    /** other failed attempts (5xx, timeouts, broken streams, …) */
    otherFailures: Type.Integer({ minimum: 0 }),
    /** time spent backing off before retries on this target, ms */
    waitMs: Type.Integer({ minimum: 0 }),
    /** tokens the provider reported (and bills) for attempts that failed, e.g. a stream cut mid-way */
    failedUsage: Usage,
    failedCostMicros: Micros,
    failedPriceMicros: Micros,
  },
  { additionalProperties: false },
);
export type CallAttempts = Static<typeof CallAttempts>;

/** Events of a task, emitted by agents and coordinators alike. */
export const TaskEvents = {
  'task.accepted': eventSchema(
    'task.accepted',
    { prompt: Type.String(), parent: Type.Optional(ParentRef) },
    'the task was accepted; a child agent names its coordinator in parent',
  ),
  'agent.replied': eventSchema(
    'agent.replied',
    {
      step: Type.Integer({ minimum: 0 }),
      text: Type.String(),
      tools: Type.Integer({ minimum: 0 }),
      ...CallFields,
      /** absent in journals written before calls were priced */
      costMicros: Type.Optional(Micros),
      priceMicros: Type.Optional(Micros),
    },
    'one LLM reply: its text, how many tool calls it made, and its usage',
  ),
  'usage.recorded': eventSchema(
    'usage.recorded',
    {
      effectId: Type.String(),
      step: Type.Integer({ minimum: 0 }),
      ...CallFields,
      costMicros: Micros,
      priceMicros: Micros,
      markup: Type.Optional(Type.Number()),
      priceTable: Type.Optional(Type.String()),
      durationMs: Type.Optional(Type.Number({ minimum: 0 })),
      org: Type.Optional(Type.String()),
      ws: Type.Optional(Type.String()),
      actor: Type.Optional(Type.String()),
      /** failed attempts before the reply, per target (absent: none, or an older journal) */
      attempts: Type.Optional(Type.Array(CallAttempts)),
    },
    'one provider call as billing counts it: tokens, provider cost and customer price (µ$)',
  ),
  'task.completed': Type.Object(TaskCompleted.properties, {
    additionalProperties: false,
    description: 'the task is done: its result, and the usage and money of all its calls (children included)',
  }),
  'task.failed': Type.Object(TaskFailed.properties, {
    additionalProperties: false,
    description: 'the task failed (code: an error code, or cancelled)',
  }),
};

/** Events only an agent emits: tool calls and their approval. */
export const AgentEvents = {
  'approval.requested': eventSchema(
    'approval.requested',
    {
      step: Type.Integer({ minimum: 0 }),
      callIds: Type.Array(Type.String()),
      tools: Type.Array(Type.String()),
    },
    'tool calls wait for task.approve / task.deny',
  ),
  'approval.decided': eventSchema(
    'approval.decided',
    {
      callId: Type.String(),
      tool: Type.String(),
      approved: Type.Boolean(),
      reason: Type.Optional(Type.String()),
    },
    'a waiting tool call was approved or denied',
  ),
  'message.accepted': eventSchema(
    'message.accepted',
    {
      text: Type.String(),
      /** messages waiting ahead of this one (0: the agent started answering it now) */
      queued: Type.Integer({ minimum: 0 }),
      /** the conversation turn this message opens (the task's prompt is turn 1) */
      conversationTurn: Type.Integer({ minimum: 2 }),
      profile: Type.String(),
      /** the message asked for a fresh conversation: the agent answers it without the earlier messages */
      cleared: Type.Optional(Type.Literal(true)),
    },
    'a follow-up message (agent.message) was accepted (queued: how many wait ahead of it; cleared: answered without the earlier conversation)',
  ),
  'tool.finished': eventSchema(
    'tool.finished',
    { name: Type.String(), isError: Type.Boolean(), artifacts: Type.Optional(ArtifactRefs) },
    'a tool call returned (isError: the tool reported a failure to the model; artifacts: files it wrote)',
  ),
};

/** Events only a coordinator emits: its plan and its child agents. */
export const CoordinatorEvents = {
  'plan.ready': eventSchema(
    'plan.ready',
    {
      subtasks: Type.Array(
        Type.Object({ ref: Type.String(), profile: Type.String() }, { additionalProperties: false }),
      ),
    },
    'the subtasks the coordinator started, one child agent each',
  ),
  'plan.fallback': eventSchema(
    'plan.fallback',
    { reason: Type.String() },
    'the plan reply held no plan: every expert gets the whole task',
  ),
  'subtask.started': eventSchema(
    'subtask.started',
    { ref: Type.String(), profile: Type.String(), prompt: Type.String() },
    'a child agent was sent its subtask',
  ),
  'subtask.completed': eventSchema(
    'subtask.completed',
    {
      ref: Type.String(),
      provider: Type.String(),
      steps: Type.Integer({ minimum: 0 }),
      costMicros: Micros,
      priceMicros: Micros,
    },
    'a child agent completed its subtask',
  ),
  'subtask.failed': eventSchema(
    'subtask.failed',
    { ref: Type.String(), code: Type.String(), reason: Type.String() },
    'a child agent failed: the coordinator fails too',
  ),
  'aggregation.started': eventSchema(
    'aggregation.started',
    { subtasks: Type.Integer({ minimum: 0 }) },
    'every subtask completed; the aggregation call was started',
  ),
  'escalation.noticed': eventSchema(
    'escalation.noticed',
    {
      escalation: Type.String(),
      actor: Type.String(),
      code: Type.String(),
      reason: Type.String(),
      restarts: Type.Integer({ minimum: 0 }),
      at: Type.Number(),
    },
    'an actor of the workspace (actor: <org>.<ws>.<kind>.<id>) used up its restarts and its policy escalated to the coordinator (escalation.notice); the coordinator keeps the notice (at: when the actor was stopped, epoch ms)',
  ),
};

export const OrgEvents = {
  'org.created': eventSchema(
    'org.created',
    {
      name: Type.String(),
      /** absent in journals written before it was recorded: readers use the turn's `cmd.at` */
      createdAt: Type.Optional(Type.Number()),
    },
    'the org exists (createdAt: epoch ms)',
  ),
  'workspace.added': eventSchema(
    'workspace.added',
    { workspace: Type.String() },
    'a workspace was added to the org',
  ),
};

/** Events of the workspace's `backup` actor (actors/backup.machine.ts). */
export const BackupEvents = {
  'backup.started': eventSchema(
    'backup.started',
    { reason: BackupReason, attempt: Type.Integer({ minimum: 1 }) },
    'a backup run started (snapshot, upload, then verify); attempt counts the machine-level retries',
  ),
  'backup.completed': eventSchema(
    'backup.completed',
    {
      reason: BackupReason,
      backupId: Type.String(),
      journalSeq: Type.Integer({ minimum: 0 }),
      objects: Type.Integer({ minimum: 0 }),
      bytes: Type.Integer({ minimum: 0 }),
      uploaded: Type.Integer({ minimum: 0 }),
      attempts: Type.Integer({ minimum: 1 }),
    },
    'the backup is in the store and verified (objects/bytes: what its manifest references; uploaded: objects this run put)',
  ),
  'backup.skipped': eventSchema(
    'backup.skipped',
    {
      reason: BackupReason,
      journalSeq: Type.Integer({ minimum: 0 }),
      backupId: Type.Union([Type.String(), Type.Null()]),
    },
    'no new turns since the last backup (backupId): nothing was written',
  ),
  'backup.failed': eventSchema(
    'backup.failed',
    {
      reason: BackupReason,
      code: Type.String(),
      message: Type.String(),
      attempts: Type.Integer({ minimum: 1 }),
    },
    'the backup failed after its retries (code: the error code, e.g. MOE_ERR_BACKUP_INTEGRITY from verification)',
  ),
  'backup.verified': eventSchema(
    'backup.verified',
    {
      backupId: Type.String(),
      ok: Type.Boolean(),
      problems: Type.Integer({ minimum: 0 }),
      code: Type.Optional(Type.String()),
      message: Type.Optional(Type.String()),
      at: Type.Number(),
    },
    'the verification schedule checked the latest backup again (restored to a temp dir: sha256s, integrity_check, replay); ok false: problems found, code/message the first (at: epoch ms)',
  ),
  'journal.purged': eventSchema(
    'journal.purged',
    {
      backupId: Type.String(),
      subjects: Type.Integer({ minimum: 0 }),
      entries: Type.Integer({ minimum: 0 }),
      keep: Type.Integer({ minimum: 0 }),
      skipped: Type.Optional(
        Type.Union([
          Type.Literal('off'),
          Type.Literal('local-store'),
          Type.Literal('mirror-behind'),
          Type.Literal('tenancy'),
        ]),
      ),
    },
    "with backup.completed (same turn): the MOE_EVT entries the verified backup covers were purged per actor subject, keeping the newest `keep` of each (subjects, entries: what was removed); skipped: nothing purged on purpose (off: MOE_JOURNAL_PURGE, local-store: the backups are on this node's own disk (MOE_STORAGE_PRIMARY unset), mirror-behind: an object of this workspace is not on every copy of the store yet, tenancy: the _tenancy workspace's journal is never purged)",
  ),
  'journal.purge.failed': eventSchema(
    'journal.purge.failed',
    { backupId: Type.String(), code: Type.String(), message: Type.String() },
    'with backup.completed (same turn): the purge failed after its retries; the journal is unchanged past what was purged, and the next backup purges again',
  ),
};
