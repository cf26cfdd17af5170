/** Pure actor machines and the contract the kernel hosts them by. No I/O in this folder (kernel/ aside). */
export {
  fx,
  kernelActions,
  FAILED_TAG,
  FINISHED_TAG,
  type KernelEvent,
  type EffectRequest,
  type EmitRequest,
  type CancelRequest,
} from './contract.js';
export {
  effectSpec,
  noInputs,
  type AnyEffectSpec,
  type EffectInputs,
  type EffectKind,
  type InputsOf,
  type NoInputs,
  type RequestOf,
  type SpecOf,
} from './effects.js';
export type { ActorSendRequest, SendTarget, TimerRequest } from './kernelEffects.js';
export type { LlmCallInputs, LlmCallRequest, ToolRunInputs, ToolRunRequest } from './agentEffects.js';
export type {
  BackupRunRequest,
  BackupRunResult,
  BackupVerifyRequest,
  BackupVerifyResult,
  JournalPurgeRequest,
  JournalPurgeResult,
} from './backupEffects.js';
export {
  backupMachine,
  backupEffectInputs,
  BACKUP_ACTOR_ID,
  DEFAULT_BACKUP_INTERVAL_MS,
  DEFAULT_VERIFY_INTERVAL_MS,
  MAX_ATTEMPTS as MAX_BACKUP_ATTEMPTS,
  type BackupContext,
  type FailureRecord,
  type VerifyRecord,
} from './backup.machine.js';
export type {
  Adjustment,
  BillingEffectRequest,
  InvoiceIssueRequest,
  InvoicePushRequest,
  PlanSegment,
} from './billingEffects.js';
export {
  billingMachine,
  billingEffectInputs,
  planSegments,
  BILLING_ACTOR_ID,
  DEFAULT_GRACE_MS,
  type BillingContext,
} from './billing.machine.js';
export {
  isTimeZone,
  lastClosedPeriod,
  localMidnight,
  nextPeriod,
  periodOf,
  periodOfLabel,
  type BillingPeriod,
  type PeriodUnit,
} from './billingPeriod.js';
export { backupStatusOf, type BackupActorStatus } from './backupStatus.js';
export {
  sessionMachine,
  sessionEffectInputs,
  DEFAULT_LEASE_MS,
  type SessionContext,
} from './session.machine.js';
export {
  agentMachine,
  agentEffectInputs,
  DEFAULT_MAX_STEPS,
  DEFAULT_DENIAL,
  GATE_CALL,
  type AgentContext,
  type AgentMessage,
  type ApprovalWait,
} from './agent.machine.js';
export {
  addSpend,
  addUsage,
  usageRecorded,
  ZERO_USAGE,
  type LlmReply,
  type Spend,
  type ToolReply,
} from './agentReply.js';
export {
  coordinatorMachine,
  coordinatorEffectInputs,
  PLAN_INVALID,
  MAX_ESCALATIONS,
  type CoordinatorContext,
} from './coordinator.machine.js';
export { parsePlan, planPrompt, MAX_SUBTASKS, type ChildState } from './coordinatorPlan.js';
export { orgMachine, type OrgContext } from './org.machine.js';
export { boardMachine, boardEffectInputs, type BoardContext } from './board.machine.js';
export { lanesOf, laneOf, place, removeCard, type BoardLane, type Placement } from './boardOrder.js';
export {
  cardMachine,
  cardEffectInputs,
  MAX_RUN_HISTORY,
  type CardContext,
  type CardPhase,
  type RunRecord,
  type WorkflowRun,
} from './card.machine.js';
export { autoAgents, cardPrompt, manualAgents, stepsOf, MAX_SUMMARY } from './cardWorkflow.js';
export { machineErrors } from './errors.js';
export { defaultRegistry, defineActorKind, type ActorKind, type ActorRegistry } from './registry.js';
